// The citizen's ticket page: renders the ticket from the data the server put in the page, follows the
// ticket's live stream, vibrates when the number is called, takes the one rating after the visit, and
// speaks the citizen's language (the kiosk's choice, Italian by default) with a language switch.
'use strict';

(function () {
  const LANGS = [
    ['it', 'Italiano'], ['en', 'English'], ['fr', 'Français'], ['de', 'Deutsch'],
    ['es', 'Español'], ['uk', 'Українська'], ['zh', '中文'], ['ar', 'العربية'],
  ];
  const RTL = ['ar'];

  // Every text of the page. Italian is the reference; the register is the formal one ("lei").
  const T = {
    it: {
      skip: 'Vai al contenuto', language: 'Lingua', ticket: 'Biglietto',
      waiting: 'In attesa', ahead: 'Persone prima di lei', wait: 'Attesa stimata',
      minutes: 'circa {n} minuti', range: 'tra {lo} e {hi} minuti', minute: 'circa 1 minuto', waitUnknown: 'al momento non stimabile',
      next: 'Nessuna persona prima di lei: il suo numero sarà chiamato a breve.',
      keepOpen: 'Tenga aperta questa pagina: si aggiorna da sola e le dirà quando tocca a lei.',
      called: 'Tocca a lei: {counter}', calledGo: 'Si rechi allo sportello con questo biglietto.',
      serving: 'Il suo turno è in corso: {counter}',
      done: 'Visita conclusa', thanks: 'Grazie per la sua visita.',
      rateQ: "Com'è andata la sua visita?", good: 'Soddisfatto', neutral: 'Così così', bad: 'Insoddisfatto',
      reasonQ: 'Che cosa non è andato bene?', reasonHint: 'Scelga il motivo principale',
      waiting_time: 'Tempo di attesa', staff_courtesy: 'Cortesia del personale',
      unclear_information: 'Informazioni poco chiare', problem_not_solved: 'Problema non risolto',
      back: 'Indietro', sending: 'Invio in corso…',
      rated: 'La sua valutazione è stata registrata. Ci aiuta a migliorare il servizio.',
      ratedBefore: 'Questa visita è già stata valutata. Grazie!',
      rateError: 'Non è stato possibile registrare la valutazione. Riprovi tra poco.',
      noShow: 'Numero chiamato senza risposta',
      noShowText: "Il suo numero è stato chiamato, ma nessuno si è presentato allo sportello. Se è ancora in ufficio, si rivolga all'accoglienza.",
      cancelled: 'Biglietto annullato', cancelledText: "Questo biglietto è stato annullato. Per assistenza si rivolga all'accoglienza.",
      expired: 'Biglietto scaduto', expiredText: 'Questo biglietto era valido il giorno {date}. Per un nuovo servizio prenda un nuovo biglietto.',
      info: 'Scheda informativa', documents: 'Documenti da portare', forms: 'Moduli da scaricare', notices: 'Avvisi',
      live: 'Questa pagina si aggiorna automaticamente.', lost: 'Connessione persa: nuovo tentativo in corso…',
      gone: 'Aggiornamenti terminati. Ricarichi la pagina per vedere lo stato attuale.',
      counter: 'sportello {n}',
    },
    en: {
      skip: 'Skip to content', language: 'Language', ticket: 'Ticket',
      waiting: 'Waiting', ahead: 'People ahead of you', wait: 'Estimated wait',
      minutes: 'about {n} minutes', range: 'between {lo} and {hi} minutes', minute: 'about 1 minute', waitUnknown: 'cannot be estimated right now',
      next: 'Nobody is ahead of you: your number will be called shortly.',
      keepOpen: 'Keep this page open: it updates by itself and will tell you when it is your turn.',
      called: 'It is your turn: {counter}', calledGo: 'Please go to the counter with this ticket.',
      serving: 'Your visit is in progress: {counter}',
      done: 'Visit completed', thanks: 'Thank you for your visit.',
      rateQ: 'How was your visit?', good: 'Satisfied', neutral: 'So-so', bad: 'Dissatisfied',
      reasonQ: 'What did not go well?', reasonHint: 'Choose the main reason',
      waiting_time: 'Waiting time', staff_courtesy: 'Staff courtesy',
      unclear_information: 'Unclear information', problem_not_solved: 'Problem not solved',
      back: 'Back', sending: 'Sending…',
      rated: 'Your rating has been recorded. It helps us improve the service.',
      ratedBefore: 'This visit has already been rated. Thank you!',
      rateError: 'Your rating could not be recorded. Please try again shortly.',
      noShow: 'Number called, no answer',
      noShowText: 'Your number was called, but nobody came to the counter. If you are still in the office, please ask at the reception desk.',
      cancelled: 'Ticket cancelled', cancelledText: 'This ticket has been cancelled. For help, please ask at the reception desk.',
      expired: 'Ticket expired', expiredText: 'This ticket was valid on {date}. For a new visit, please take a new ticket.',
      info: 'Information sheet', documents: 'Documents to bring', forms: 'Forms to download', notices: 'Notices',
      live: 'This page updates automatically.', lost: 'Connection lost: trying again…',
      gone: 'Updates have stopped. Reload the page to see the current status.',
      counter: 'counter {n}',
    },
    fr: {
      skip: 'Aller au contenu', language: 'Langue', ticket: 'Ticket',
      waiting: 'En attente', ahead: 'Personnes avant vous', wait: 'Attente estimée',
      minutes: 'environ {n} minutes', range: 'entre {lo} et {hi} minutes', minute: 'environ 1 minute', waitUnknown: 'impossible à estimer pour le moment',
      next: 'Personne avant vous : votre numéro sera appelé sous peu.',
      keepOpen: 'Gardez cette page ouverte : elle se met à jour toute seule et vous dira quand c’est votre tour.',
      called: 'C’est votre tour : {counter}', calledGo: 'Présentez-vous au guichet avec ce ticket.',
      serving: 'Votre rendez-vous est en cours : {counter}',
      done: 'Visite terminée', thanks: 'Merci de votre visite.',
      rateQ: 'Comment s’est passée votre visite ?', good: 'Satisfait', neutral: 'Moyennement', bad: 'Insatisfait',
      reasonQ: 'Qu’est-ce qui n’a pas été ?', reasonHint: 'Choisissez la raison principale',
      waiting_time: 'Temps d’attente', staff_courtesy: 'Amabilité du personnel',
      unclear_information: 'Informations peu claires', problem_not_solved: 'Problème non résolu',
      back: 'Retour', sending: 'Envoi en cours…',
      rated: 'Votre évaluation a été enregistrée. Elle nous aide à améliorer le service.',
      ratedBefore: 'Cette visite a déjà été évaluée. Merci !',
      rateError: 'Votre évaluation n’a pas pu être enregistrée. Réessayez dans un instant.',
      noShow: 'Numéro appelé sans réponse',
      noShowText: 'Votre numéro a été appelé, mais personne ne s’est présenté au guichet. Si vous êtes encore dans les bureaux, adressez-vous à l’accueil.',
      cancelled: 'Ticket annulé', cancelledText: 'Ce ticket a été annulé. Pour toute aide, adressez-vous à l’accueil.',
      expired: 'Ticket expiré', expiredText: 'Ce ticket était valable le {date}. Pour une nouvelle démarche, prenez un nouveau ticket.',
      info: 'Fiche d’information', documents: 'Documents à apporter', forms: 'Formulaires à télécharger', notices: 'Avis',
      live: 'Cette page se met à jour automatiquement.', lost: 'Connexion perdue : nouvelle tentative…',
      gone: 'Les mises à jour sont arrêtées. Rechargez la page pour voir l’état actuel.',
      counter: 'guichet {n}',
    },
    de: {
      skip: 'Zum Inhalt', language: 'Sprache', ticket: 'Wartenummer',
      waiting: 'Wartend', ahead: 'Personen vor Ihnen', wait: 'Geschätzte Wartezeit',
      minutes: 'etwa {n} Minuten', range: 'zwischen {lo} und {hi} Minuten', minute: 'etwa 1 Minute', waitUnknown: 'derzeit nicht schätzbar',
      next: 'Niemand ist vor Ihnen: Ihre Nummer wird gleich aufgerufen.',
      keepOpen: 'Lassen Sie diese Seite geöffnet: Sie aktualisiert sich selbst und zeigt Ihnen, wann Sie an der Reihe sind.',
      called: 'Sie sind an der Reihe: {counter}', calledGo: 'Bitte gehen Sie mit dieser Nummer zum Schalter.',
      serving: 'Ihr Termin läuft: {counter}',
      done: 'Besuch abgeschlossen', thanks: 'Vielen Dank für Ihren Besuch.',
      rateQ: 'Wie war Ihr Besuch?', good: 'Zufrieden', neutral: 'Es geht', bad: 'Unzufrieden',
      reasonQ: 'Was ist nicht gut gelaufen?', reasonHint: 'Wählen Sie den Hauptgrund',
      waiting_time: 'Wartezeit', staff_courtesy: 'Freundlichkeit des Personals',
      unclear_information: 'Unklare Informationen', problem_not_solved: 'Problem nicht gelöst',
      back: 'Zurück', sending: 'Wird gesendet…',
      rated: 'Ihre Bewertung wurde gespeichert. Sie hilft uns, den Service zu verbessern.',
      ratedBefore: 'Dieser Besuch wurde bereits bewertet. Danke!',
      rateError: 'Ihre Bewertung konnte nicht gespeichert werden. Bitte versuchen Sie es gleich noch einmal.',
      noShow: 'Nummer aufgerufen, niemand erschienen',
      noShowText: 'Ihre Nummer wurde aufgerufen, aber niemand ist am Schalter erschienen. Wenn Sie noch im Amt sind, wenden Sie sich bitte an den Empfang.',
      cancelled: 'Nummer storniert', cancelledText: 'Diese Nummer wurde storniert. Hilfe erhalten Sie am Empfang.',
      expired: 'Nummer abgelaufen', expiredText: 'Diese Nummer war am {date} gültig. Für einen neuen Besuch ziehen Sie bitte eine neue Nummer.',
      info: 'Informationsblatt', documents: 'Mitzubringende Unterlagen', forms: 'Formulare zum Herunterladen', notices: 'Hinweise',
      live: 'Diese Seite aktualisiert sich automatisch.', lost: 'Verbindung unterbrochen: neuer Versuch…',
      gone: 'Keine Aktualisierungen mehr. Laden Sie die Seite neu, um den aktuellen Stand zu sehen.',
      counter: 'Schalter {n}',
    },
    es: {
      skip: 'Ir al contenido', language: 'Idioma', ticket: 'Turno',
      waiting: 'En espera', ahead: 'Personas delante de usted', wait: 'Espera estimada',
      minutes: 'unos {n} minutos', range: 'entre {lo} y {hi} minutos', minute: 'alrededor de 1 minuto', waitUnknown: 'no se puede estimar ahora',
      next: 'No hay nadie delante de usted: su número se llamará en breve.',
      keepOpen: 'Mantenga abierta esta página: se actualiza sola y le avisará cuando sea su turno.',
      called: 'Es su turno: {counter}', calledGo: 'Diríjase a la ventanilla con este número.',
      serving: 'Le están atendiendo: {counter}',
      done: 'Visita concluida', thanks: 'Gracias por su visita.',
      rateQ: '¿Qué tal ha ido su visita?', good: 'Satisfecho', neutral: 'Regular', bad: 'Insatisfecho',
      reasonQ: '¿Qué no ha ido bien?', reasonHint: 'Elija el motivo principal',
      waiting_time: 'Tiempo de espera', staff_courtesy: 'Amabilidad del personal',
      unclear_information: 'Información poco clara', problem_not_solved: 'Problema no resuelto',
      back: 'Atrás', sending: 'Enviando…',
      rated: 'Su valoración ha quedado registrada. Nos ayuda a mejorar el servicio.',
      ratedBefore: 'Esta visita ya ha sido valorada. ¡Gracias!',
      rateError: 'No se ha podido registrar su valoración. Inténtelo de nuevo en un momento.',
      noShow: 'Número llamado sin respuesta',
      noShowText: 'Su número fue llamado, pero nadie se presentó en la ventanilla. Si sigue en la oficina, diríjase a la recepción.',
      cancelled: 'Número anulado', cancelledText: 'Este número ha sido anulado. Para recibir ayuda, diríjase a la recepción.',
      expired: 'Número caducado', expiredText: 'Este número era válido el {date}. Para un nuevo trámite, saque un nuevo número.',
      info: 'Ficha informativa', documents: 'Documentos necesarios', forms: 'Formularios para descargar', notices: 'Avisos',
      live: 'Esta página se actualiza automáticamente.', lost: 'Conexión perdida: reintentando…',
      gone: 'Las actualizaciones se han detenido. Recargue la página para ver el estado actual.',
      counter: 'ventanilla {n}',
    },
    uk: {
      skip: 'Перейти до змісту', language: 'Мова', ticket: 'Талон',
      waiting: 'Очікування', ahead: 'Людей перед вами', wait: 'Орієнтовне очікування',
      minutes: 'близько {n} хв', range: 'від {lo} до {hi} хв', minute: 'близько 1 хв', waitUnknown: 'зараз неможливо оцінити',
      next: 'Перед вами нікого немає: ваш номер незабаром викличуть.',
      keepOpen: 'Не закривайте цю сторінку: вона оновлюється сама і повідомить, коли настане ваша черга.',
      called: 'Ваша черга: {counter}', calledGo: 'Підійдіть до віконця з цим талоном.',
      serving: 'Вас обслуговують: {counter}',
      done: 'Візит завершено', thanks: 'Дякуємо за візит.',
      rateQ: 'Як пройшов ваш візит?', good: 'Задоволений', neutral: 'Так собі', bad: 'Незадоволений',
      reasonQ: 'Що було не так?', reasonHint: 'Оберіть головну причину',
      waiting_time: 'Час очікування', staff_courtesy: 'Ввічливість персоналу',
      unclear_information: 'Незрозуміла інформація', problem_not_solved: 'Проблему не вирішено',
      back: 'Назад', sending: 'Надсилання…',
      rated: 'Вашу оцінку збережено. Вона допомагає нам покращувати обслуговування.',
      ratedBefore: 'Цей візит уже оцінено. Дякуємо!',
      rateError: 'Не вдалося зберегти оцінку. Спробуйте ще раз трохи згодом.',
      noShow: 'Номер викликано, ніхто не підійшов',
      noShowText: 'Ваш номер викликали, але до віконця ніхто не підійшов. Якщо ви ще в установі, зверніться на рецепцію.',
      cancelled: 'Талон скасовано', cancelledText: 'Цей талон скасовано. По допомогу зверніться на рецепцію.',
      expired: 'Талон прострочено', expiredText: 'Цей талон був дійсний {date}. Для нового візиту візьміть новий талон.',
      info: 'Інформаційний лист', documents: 'Потрібні документи', forms: 'Бланки для завантаження', notices: 'Оголошення',
      live: 'Ця сторінка оновлюється автоматично.', lost: 'Зв’язок втрачено: повторна спроба…',
      gone: 'Оновлення припинено. Перезавантажте сторінку, щоб побачити поточний стан.',
      counter: 'віконце {n}',
    },
    zh: {
      skip: '跳到内容', language: '语言', ticket: '号码',
      waiting: '等待中', ahead: '您前面的人数', wait: '预计等待',
      minutes: '约 {n} 分钟', range: '{lo}–{hi} 分钟', minute: '约 1 分钟', waitUnknown: '目前无法估计',
      next: '您前面没有人：您的号码马上会被叫到。',
      keepOpen: '请保持此页面打开：它会自动更新，轮到您时会通知您。',
      called: '轮到您了：{counter}', calledGo: '请持此号码前往窗口。',
      serving: '正在为您办理：{counter}',
      done: '办理完毕', thanks: '感谢您的来访。',
      rateQ: '您对这次办理满意吗？', good: '满意', neutral: '一般', bad: '不满意',
      reasonQ: '哪里做得不好？', reasonHint: '请选择主要原因',
      waiting_time: '等待时间', staff_courtesy: '工作人员态度',
      unclear_information: '信息不清楚', problem_not_solved: '问题未解决',
      back: '返回', sending: '正在发送…',
      rated: '您的评价已记录，这将帮助我们改进服务。',
      ratedBefore: '这次办理已经评价过了。谢谢！',
      rateError: '评价未能记录，请稍后再试。',
      noShow: '已叫号，无人应答',
      noShowText: '您的号码已被叫到，但无人前往窗口。如果您仍在办事处，请到前台咨询。',
      cancelled: '号码已取消', cancelledText: '此号码已被取消。如需帮助，请到前台咨询。',
      expired: '号码已过期', expiredText: '此号码仅在 {date} 有效。如需办理新业务，请重新取号。',
      info: '办事指南', documents: '需携带的证件', forms: '可下载的表格', notices: '通知',
      live: '此页面会自动更新。', lost: '连接中断：正在重试…',
      gone: '更新已停止。请刷新页面查看当前状态。',
      counter: '{n} 号窗口',
    },
    ar: {
      skip: 'انتقل إلى المحتوى', language: 'اللغة', ticket: 'التذكرة',
      waiting: 'في الانتظار', ahead: 'عدد الأشخاص قبلك', wait: 'الانتظار المتوقع',
      minutes: 'نحو {n} دقيقة', range: 'بين {lo} و{hi} دقيقة', minute: 'نحو دقيقة واحدة', waitUnknown: 'لا يمكن تقديره الآن',
      next: 'لا أحد قبلك: سيُنادى رقمك قريبًا.',
      keepOpen: 'أبقِ هذه الصفحة مفتوحة: فهي تتحدث تلقائيًا وستخبرك عندما يحين دورك.',
      called: 'حان دورك: {counter}', calledGo: 'يرجى التوجه إلى الشباك ومعك هذه التذكرة.',
      serving: 'تجري خدمتك الآن: {counter}',
      done: 'انتهت الزيارة', thanks: 'شكرًا لزيارتك.',
      rateQ: 'كيف كانت زيارتك؟', good: 'راضٍ', neutral: 'مقبول', bad: 'غير راضٍ',
      reasonQ: 'ما الذي لم يكن جيدًا؟', reasonHint: 'اختر السبب الرئيسي',
      waiting_time: 'وقت الانتظار', staff_courtesy: 'لباقة الموظفين',
      unclear_information: 'معلومات غير واضحة', problem_not_solved: 'لم تُحل المشكلة',
      back: 'رجوع', sending: 'جارٍ الإرسال…',
      rated: 'تم تسجيل تقييمك. إنه يساعدنا على تحسين الخدمة.',
      ratedBefore: 'تم تقييم هذه الزيارة من قبل. شكرًا!',
      rateError: 'تعذر تسجيل تقييمك. يرجى المحاولة مرة أخرى بعد قليل.',
      noShow: 'نودي الرقم ولم يحضر أحد',
      noShowText: 'نودي رقمك لكن لم يحضر أحد إلى الشباك. إذا كنت لا تزال في المكتب، يرجى التوجه إلى الاستقبال.',
      cancelled: 'أُلغيت التذكرة', cancelledText: 'أُلغيت هذه التذكرة. للمساعدة يرجى التوجه إلى الاستقبال.',
      expired: 'انتهت صلاحية التذكرة', expiredText: 'كانت هذه التذكرة صالحة يوم {date}. لزيارة جديدة يرجى أخذ تذكرة جديدة.',
      info: 'بطاقة المعلومات', documents: 'المستندات المطلوبة', forms: 'نماذج للتنزيل', notices: 'إعلانات',
      live: 'تتحدث هذه الصفحة تلقائيًا.', lost: 'انقطع الاتصال: جارٍ إعادة المحاولة…',
      gone: 'توقفت التحديثات. أعد تحميل الصفحة لرؤية الحالة الحالية.',
      counter: 'الشباك {n}',
    },
  };

  const data = JSON.parse(document.getElementById('initial').textContent);
  const token = data.token;
  const storageKey = 'turno.ticket.lang';
  const state = {
    status: data.status,
    service: data.service,
    notices: data.notices || [],
    lang: pickLanguage(),
    rating: { step: 'faces', sending: false, message: null, done: false },
    connection: 'live',
  };
  let source = null;

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get('lang');
    let stored = null;
    try { stored = localStorage.getItem(storageKey); } catch (e) { /* private mode */ }
    for (const l of [asked, stored, data.language, 'it']) {
      if (l && T[l]) return l;
    }
    return 'en';
  }

  function t(key, values) {
    let s = (T[state.lang] && T[state.lang][key]) || T.it[key] || key;
    for (const [k, v] of Object.entries(values || {})) s = s.replace('{' + k + '}', v);
    return s;
  }

  /** A localized text of the office ({it: …, en: …}) in the page's language, else Italian. */
  function loc(texts) {
    if (!texts) return '';
    return texts[state.lang] || texts.it || Object.values(texts)[0] || '';
  }

  /** "Sportello 3" said in the page's language: "sportello 3", "counter 3", …; another name as is. */
  function counterLabel(name) {
    const m = /^\s*sportello\s+(.+)$/i.exec(name || '');
    if (m) return t('counter', { n: m[1] });
    if (/^\s*\d+\s*$/.test(name || '')) return t('counter', { n: name.trim() });
    return name || '';
  }

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? '' : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      el.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  /** A face drawn with its mouth, so it reads without colour. */
  function face(mood) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 64 64');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'face-icon');
    const mouth = { good: 'M18 38 Q32 52 46 38', neutral: 'M20 42 L44 42', bad: 'M18 46 Q32 34 46 46' }[mood];
    svg.innerHTML = '<circle cx="32" cy="32" r="29" class="face-' + mood + '"/>' +
      '<circle cx="22" cy="25" r="4" class="eye"/><circle cx="42" cy="25" r="4" class="eye"/>' +
      '<path d="' + mouth + '" class="mouth"/>';
    return svg;
  }

  /** A small globe, the usual sign of a language menu. */
  function globe() {
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    svg.setAttribute('class', 'globe');
    svg.innerHTML = '<circle cx="12" cy="12" r="10"/><ellipse cx="12" cy="12" rx="4.5" ry="10"/>' +
      '<path d="M2 12h20M4 6.5h16M4 17.5h16"/>';
    return svg;
  }

  /** The wait as a range (the actual wait fell in it for about 80% of tickets), else a rough figure. */
  function waitText(minutes, range) {
    if (minutes === null || minutes === undefined) return t('waitUnknown');
    if (range && range.high_minutes > 1) return t('range', { lo: range.low_minutes, hi: range.high_minutes });
    return minutes <= 1 ? t('minute') : t('minutes', { n: minutes });
  }

  function formatDate(day) {
    try {
      const [y, m, d] = day.split('-').map(Number);
      return new Intl.DateTimeFormat(state.lang, { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' })
        .format(new Date(Date.UTC(y, m - 1, d)));
    } catch (e) {
      return day;
    }
  }

  function statusPanel(s) {
    switch (s.state) {
      case 'waiting':
        return h('section', { class: 'panel status waiting', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('waiting')),
          h('dl', { class: 'facts' },
            h('div', { class: 'fact' }, h('dt', null, t('ahead')), h('dd', { id: 'ahead' }, String(s.people_ahead ?? 0))),
            h('div', { class: 'fact' }, h('dt', null, t('wait')), h('dd', { id: 'wait' }, waitText(s.estimated_wait_minutes, s.estimated_wait_range)))),
          s.people_ahead === 0 ? h('p', { class: 'next' }, t('next')) : null,
          h('p', { class: 'hint' }, t('keepOpen')));
      case 'called':
        return h('section', { class: 'panel status called', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title', class: 'call' }, t('called', { counter: counterLabel(s.counter_name) })),
          h('p', null, t('calledGo')));
      case 'serving':
        return h('section', { class: 'panel status serving', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('serving', { counter: counterLabel(s.counter_name) })));
      case 'done':
        return h('section', { class: 'panel status done', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('done')),
          h('p', null, t('thanks')));
      case 'no_show':
        return h('section', { class: 'panel status ended', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('noShow')), h('p', null, t('noShowText')));
      case 'cancelled':
        return h('section', { class: 'panel status ended', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('cancelled')), h('p', null, t('cancelledText')));
      default:
        return h('section', { class: 'panel status ended', 'aria-labelledby': 'status-title' },
          h('h2', { id: 'status-title' }, t('expired')),
          h('p', null, t('expiredText', { date: formatDate(s.office_day) })));
    }
  }

  function ratingPanel(s) {
    const r = state.rating;
    if (r.done || (s.rated && !s.can_rate)) {
      if (s.state !== 'done') return null;
      return h('section', { class: 'panel rating', 'aria-labelledby': 'rating-title', id: 'rating' },
        h('h2', { id: 'rating-title', class: 'visually-hidden' }, t('rateQ')),
        h('p', { class: 'rated', role: 'status' }, r.done ? (r.message || t('rated')) : t('ratedBefore')));
    }
    if (!s.can_rate) return null;
    const message = r.message ? h('p', { class: 'error', role: 'alert' }, r.message) : null;
    if (r.step === 'reasons') {
      return h('section', { class: 'panel rating', 'aria-labelledby': 'rating-title', id: 'rating' },
        h('h2', { id: 'rating-title' }, t('reasonQ')),
        h('p', { class: 'hint' }, t('reasonHint')),
        h('div', { class: 'reasons' },
          ['waiting_time', 'staff_courtesy', 'unclear_information', 'problem_not_solved'].map((reason) =>
            h('button', { type: 'button', class: 'reason', 'data-reason': reason, disabled: r.sending,
              onclick: () => rate('bad', reason) }, t(reason)))),
        h('button', { type: 'button', class: 'link', disabled: r.sending,
          onclick: () => { r.step = 'faces'; r.message = null; render(); } }, t('back')),
        r.sending ? h('p', { role: 'status' }, t('sending')) : null,
        message);
    }
    return h('section', { class: 'panel rating', 'aria-labelledby': 'rating-title', id: 'rating' },
      h('h2', { id: 'rating-title' }, t('rateQ')),
      h('div', { class: 'faces' },
        ['good', 'neutral', 'bad'].map((mood) =>
          h('button', { type: 'button', class: 'face ' + mood, 'data-rating': mood, disabled: r.sending,
            onclick: () => (mood === 'bad' ? (r.step = 'reasons', r.message = null, render()) : rate(mood, null)) },
          face(mood), h('span', null, t(mood))))),
      r.sending ? h('p', { role: 'status' }, t('sending')) : null,
      message);
  }

  function paragraphs(text) {
    return text.split(/\n\s*\n/).map((p) => p.trim()).filter(Boolean).map((p) => h('p', null, p));
  }

  function infoPanel() {
    const s = state.service;
    if (!s) return null;
    const info = loc(s.info);
    const docs = (s.documents || []).map(loc).filter(Boolean);
    const forms = s.forms || [];
    if (!info && !docs.length && !forms.length) return null;
    return h('section', { class: 'panel info', 'aria-labelledby': 'info-title' },
      h('h2', { id: 'info-title' }, t('info')),
      info ? paragraphs(info) : null,
      docs.length ? [h('h3', null, t('documents')), h('ul', null, docs.map((d) => h('li', null, d)))] : null,
      forms.length ? [h('h3', null, t('forms')), h('ul', null, forms.map((f) =>
        h('li', null, h('a', { href: f.path, download: f.filename || true }, f.title))))] : null);
  }

  function noticesPanel() {
    const texts = state.notices.map(loc).filter(Boolean);
    if (!texts.length) return null;
    return h('section', { class: 'panel notices', 'aria-labelledby': 'notices-title' },
      h('h2', { id: 'notices-title' }, t('notices')),
      h('ul', null, texts.map((n) => h('li', null, n))));
  }

  function languageSwitch() {
    const box = document.getElementById('lang-switch');
    const current = (LANGS.find(([code]) => code === state.lang) || LANGS[0])[1];
    const label = t('language') + (state.lang === 'en' ? '' : ' · Language');
    box.replaceChildren(h('details', { class: 'lang-menu', id: 'lang-menu' },
      h('summary', null, h('span', { class: 'visually-hidden' }, label + ': '), globe(), current),
      h('nav', { 'aria-label': label },
        h('ul', { class: 'langs' }, LANGS.map(([code, name]) =>
          h('li', null, h('button', { type: 'button', lang: code, 'aria-pressed': String(code === state.lang),
            onclick: () => setLanguage(code) }, name)))))));
  }

  function setLanguage(code) {
    state.lang = code;
    try { localStorage.setItem(storageKey, code); } catch (e) { /* private mode */ }
    render();
    const summary = document.querySelector('#lang-menu summary');
    if (summary) summary.focus();
  }

  function render() {
    const s = state.status;
    const root = document.documentElement;
    root.lang = state.lang;
    root.dir = RTL.includes(state.lang) ? 'rtl' : 'ltr';
    document.getElementById('skip').textContent = t('skip');
    document.getElementById('number-label').textContent = t('ticket');
    document.getElementById('number').textContent = s.number;
    const headline = s.state === 'called' ? t('called', { counter: counterLabel(s.counter_name) }) + ' – ' : '';
    document.title = headline + t('ticket') + ' ' + s.number + ' – ' + data.office_name;
    languageSwitch();
    const focused = document.activeElement && document.activeElement.closest('#content') ? describe(document.activeElement) : null;
    document.getElementById('content').replaceChildren(...[
      h('p', { class: 'service' }, loc(s.service_name)),
      statusPanel(s),
      ratingPanel(s),
      infoPanel(),
      noticesPanel()].filter(Boolean));
    restoreFocus(focused);
    const c = document.getElementById('connection');
    c.textContent = state.connection === 'live' ? t('live') : state.connection === 'gone' ? t('gone') : t('lost');
    c.className = 'connection ' + state.connection;
  }

  /** A way to find an element again after the content is redrawn. */
  function describe(el) {
    for (const attr of ['data-rating', 'data-reason']) {
      if (el.hasAttribute(attr)) return '[' + attr + '="' + el.getAttribute(attr) + '"]';
    }
    return el.id ? '#' + el.id : null;
  }

  function restoreFocus(selector) {
    if (!selector) return;
    const el = document.querySelector('#content ' + selector);
    if (el) el.focus();
  }

  async function rate(rating, reason) {
    const r = state.rating;
    if (r.sending) return;
    r.sending = true;
    r.message = null;
    render();
    try {
      const response = await fetch('/api/v1/public/tickets/' + token + '/rating', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rating, reason }),
      });
      const body = await response.json().catch(() => ({}));
      if (response.ok) {
        r.done = true;
        r.message = t('rated');
        state.status = Object.assign({}, state.status, { can_rate: false, rated: true });
      } else if (body.code === 'already_rated') {
        r.done = true;
        r.message = t('ratedBefore');
        state.status = Object.assign({}, state.status, { can_rate: false, rated: true });
      } else {
        r.message = t('rateError');
      }
    } catch (e) {
      r.message = t('rateError');
    }
    r.sending = false;
    render();
    const rated = document.querySelector('#rating .rated');
    if (rated) { rated.setAttribute('tabindex', '-1'); rated.focus(); }
  }

  function isFinal(s) {
    return ['no_show', 'cancelled', 'expired'].includes(s.state) || (s.state === 'done' && !s.can_rate);
  }

  async function serviceChanged(name) {
    try {
      const office = await (await fetch('/api/v1/office')).json();
      state.service = office.services.find((x) => x.name.it === name.it) || null;
      state.notices = office.notices || state.notices;
      render();
    } catch (e) { /* keep what is shown */ }
  }

  function onStatus(next) {
    const before = state.status;
    state.status = next;
    if (next.state === 'called' && before.state !== 'called' && navigator.vibrate) {
      try { navigator.vibrate([400, 200, 400, 200, 800]); } catch (e) { /* not allowed here */ }
    }
    if (JSON.stringify(next.service_name) !== JSON.stringify(before.service_name)) serviceChanged(next.service_name);
    render();
    if (next.state === 'called' && before.state !== 'called') {
      const title = document.getElementById('status-title');
      if (title) { title.setAttribute('tabindex', '-1'); title.focus(); }
    }
    if (isFinal(next) && source) {
      source.close();
      source = null;
    }
  }

  function follow() {
    if (isFinal(state.status)) return;
    source = new EventSource('/api/v1/public/tickets/' + token + '/live');
    source.addEventListener('status', (e) => {
      if (state.connection !== 'live') { state.connection = 'live'; }
      onStatus(JSON.parse(e.data));
    });
    source.addEventListener('open', () => {
      if (state.connection !== 'live') { state.connection = 'live'; render(); }
    });
    source.addEventListener('error', () => {
      if (!source) return;
      state.connection = source.readyState === EventSource.CLOSED ? 'gone' : 'lost';
      render();
    });
  }

  // For tests and the curious: what the page holds.
  window.turnoTicket = { state: () => state };

  render();
  follow();
})();
