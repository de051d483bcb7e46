//! Compiles the Slint designs (`turno.slint`, the root that re-exports the kiosk's and the console's
//! windows), with the translations bundled and debug info kept so that the testing backend finds
//! elements by their accessible labels.

fn main() {
    let config = slint_build::CompilerConfiguration::new()
        .with_style("fluent".into())
        .with_bundled_translations("translations")
        .with_default_translation_context(slint_build::DefaultTranslationContext::None)
        .with_debug_info(true);
    slint_build::compile_with_config("turno.slint", config).expect("the kiosk and console designs compile");
}
