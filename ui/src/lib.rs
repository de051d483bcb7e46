//! The Slint designs of kiosk and console, their theme, widgets and translations. Empty for now: the
//! designs arrive with the kiosk and console issues.
