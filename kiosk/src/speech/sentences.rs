//! The sentences the spoken mode says, by their Italian source text: the same `@tr()` strings the screens
//! show, so that the voice and the screen go through the same translations (`SpeechTexts.tr` in
//! `ui/kiosk/speech.slint` holds the other end of this list).

/// A sentence of the screens, named by its Italian source text (the translations' `msgid`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sentence(&'static str);

impl Sentence {
    /// The Italian source text.
    pub fn source(self) -> &'static str {
        self.0
    }
}

macro_rules! sentences {
    ($($name:ident = $text:literal;)*) => {
        $(pub const $name: Sentence = Sentence($text);)*
        /// Every sentence, for the test that each one is translated.
        pub const ALL: &[Sentence] = &[$($name),*];
    };
}

sentences! {
    // The spoken mode and large text, said when their button is touched.
    SPEECH = "Guida vocale";
    SPEECH_ON = "Guida vocale attiva";
    SPEECH_OFF = "Guida vocale disattivata";
    LARGE_TEXT_ON = "Testo grande attivo";
    LARGE_TEXT_OFF = "Testo grande disattivato";
    // Welcome.
    WELCOME = "Benvenuti";
    TOUCH_TO_START = "Tocchi un pulsante per iniziare";
    TAKE_NUMBER = "Prendi il numero";
    RATE_SERVICE = "Valuta il servizio";
    // Services.
    CHOOSE_SERVICE = "Scelga il servizio";
    TOUCH_SERVICE = "Tocchi il riquadro dell'ufficio a cui deve rivolgersi";
    CLOSED_NOW = "Chiuso ora";
    NO_NUMBERS_LEFT = "Numeri esauriti per oggi";
    // Information sheet.
    DOCUMENTS = "Documenti da portare";
    NO_DOCUMENTS = "Nessun documento richiesto.";
    WAIT_UNKNOWN = "Attesa: al momento non stimabile";
    WAIT_ONE_MINUTE = "Attesa: circa 1 minuto";
    // Priority.
    PRIORITY_QUESTION = "Ha diritto alla precedenza?";
    PRIORITY_WHO = "Hanno diritto alla precedenza:";
    PRIORITY_DISABLED = "persone con disabilità e chi le accompagna";
    PRIORITY_PREGNANT = "donne in gravidanza";
    PRIORITY_CHILDREN = "genitori con bambini piccoli";
    PRIORITY_ELDERLY = "persone anziane o che non possono restare a lungo in piedi";
    NO = "No";
    YES_PRIORITY = "Sì, ho la precedenza";
    ONE_MOMENT = "Un momento…";
    // The ticket.
    PRINTING = "Stiamo stampando il biglietto…";
    TAKE_TICKET = "Ritiri il biglietto qui sotto";
    NOTE_NUMBER = "Prenda nota del suo numero";
    YOUR_NUMBER = "Il suo numero";
    WITH_PRIORITY = "Con precedenza";
    PRINTER_DOWN = "La stampante non funziona in questo momento. Il suo numero è valido: verrà chiamato sul monitor.";
    SCAN_QR = "Inquadri il codice QR con il telefono: vedrà il suo turno e potrà valutare il servizio.";
    RATING_CODE = "Codice per la valutazione";
    TOUCH_TO_END = "Tocchi lo schermo per tornare all'inizio";
    DONE = "Fine";
    // Rating.
    RATE_TITLE = "Valuti il servizio";
    SCAN_BARCODE = "Avvicini il codice a barre del biglietto al lettore";
    TYPE_CODE = "oppure scriva il codice per la valutazione stampato sul biglietto:";
    DELETE = "Cancella";
    NEXT = "Avanti";
    HOW_WAS_IT = "Com'è andata la sua visita?";
    GOOD = "Soddisfatto";
    SO_SO = "Così così";
    BAD = "Insoddisfatto";
    WHAT_WENT_WRONG = "Che cosa non è andato bene?";
    MAIN_REASON = "Scelga il motivo principale";
    REASON_WAIT = "Tempo di attesa";
    REASON_COURTESY = "Cortesia del personale";
    REASON_INFORMATION = "Informazioni poco chiare";
    REASON_UNSOLVED = "Problema non risolto";
    THANKS = "Grazie!";
    RATING_SAVED = "La sua valutazione è stata registrata. Ci aiuta a migliorare il servizio.";
    ALREADY_RATED = "Questa visita è già stata valutata";
    ALREADY_RATED_TEXT = "Ogni visita si può valutare una sola volta. Grazie!";
    NOT_RATEABLE = "Non è ancora possibile valutare";
    NOT_RATEABLE_TEXT = "Potrà valutare il servizio dopo essere stato allo sportello.";
    NOT_TODAY = "Il biglietto non è di oggi";
    NOT_TODAY_TEXT = "Si possono valutare solo le visite di oggi.";
    INVALID_CODE = "Codice non valido";
    INVALID_CODE_TEXT = "Scriva tutto il codice per la valutazione stampato sul biglietto: la lettera, le cifre e i cinque caratteri dopo il trattino, per esempio A012-7K3MX.";
    TOO_MANY = "Troppi codici errati";
    TOO_MANY_TEXT = "Riprovi tra qualche minuto o chieda allo sportello.";
    NOT_FOUND = "Codice non trovato";
    NOT_FOUND_TEXT = "Controlli il codice per la valutazione stampato sul biglietto e riprovi.";
    RETRY = "Riprova";
    // Notices.
    OFFICE_CLOSED = "L'ufficio è chiuso";
    OFFICE_CLOSED_TEXT = "In questo momento non si prendono numeri. Torni durante l'orario di apertura: grazie.";
    SERVICE_CLOSED = "Servizio chiuso";
    UNREACHABLE = "Un momento, per favore";
    UNREACHABLE_TEXT = "Il servizio non è raggiungibile in questo momento. Stiamo riprovando da soli: non serve fare nulla.";
    NOT_AUTHORISED = "Chiosco non autorizzato";
    NOT_AUTHORISED_TEXT = "Il server dell'ufficio non riconosce questo chiosco: non è registrato, o la sua registrazione è stata revocata. Per il personale: registrarlo nel back office (Dispositivi) e scrivere il nuovo codice nelle impostazioni del chiosco.";
    STILL_HERE = "È ancora qui?";
    YES_CONTINUE = "Sì, continuo";
    // The navigation bar.
    BACK = "Indietro";
    HOME = "Inizio";
}
