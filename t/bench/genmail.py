#!/usr/bin/python3
"""genmail.py: N realistic support mails, written straight into a Maildir.

    genmail.py --maildir DIR --count N [--seed S] [--owner UID:GID]

The mix (what a support desk of a multinational sees):
  - about a third are replies to earlier mail of the same customer
    (In-Reply-To/References, "Re:"/"AW:"/"返信:"/"回复:" subjects, quoted
    history with the quote header of common clients, a signature);
  - a quarter Japanese or Chinese: ISO-2022-JP (as Japanese mailers
    still send it) or UTF-8, GB2312 (base64) or UTF-8, with RFC 2047
    subjects and names; the rest English, German, French, Spanish,
    Finnish (quoted-printable UTF-8);
  - text only, multipart/alternative with an Outlook-style HTML part,
    HTML only, and attachments (PDF, PNG, log files: base64);
  - about one in a hundred an out-of-office reply (Auto-Submitted).

Files go to DIR/cur with Dovecot's ,S= (size) and ,W= (size with CRLF)
in their names, in the order they should get their UIDs (Dovecot sorts
new files by the time in their name).  Deterministic for a given seed.
Prints one JSON line: counts by kind and the total bytes.
"""

import argparse
import base64
import json
import os
import quopri
import random
import sys

T0 = 1795687200 - 7 * 86400          # a week before the tests' fixed instant

TEXT = {
    'en': [
        "Since this morning our users cannot log in to the reporting portal.",
        "The error message says that the session has expired, even right after a fresh login.",
        "We restarted the application server twice, but the problem came back within minutes.",
        "This affects about two hundred people in the finance department.",
        "Could you please tell us whether there is a known issue with version 4.2?",
        "The nightly export job also failed with a timeout at 02:15 UTC.",
        "I have attached the log file from the server and a screenshot of the error.",
        "Our maintenance window is on Saturday, so a workaround until then would help a lot.",
        "The database connection pool seems to be exhausted after a few hundred requests.",
        "We did not change anything in the configuration during the last week.",
        "Please let me know if you need remote access to the test system.",
        "Thank you for the quick reply, the workaround you suggested does help.",
        "Unfortunately the issue is still there after applying the patch.",
    ],
    'de': [
        "Seit heute Morgen können sich unsere Benutzer nicht mehr am Portal anmelden.",
        "Die Fehlermeldung lautet, dass die Sitzung abgelaufen ist, auch direkt nach der Anmeldung.",
        "Wir haben den Anwendungsserver zweimal neu gestartet, aber der Fehler tritt wieder auf.",
        "Betroffen sind etwa zweihundert Mitarbeiter in der Buchhaltung.",
        "Können Sie uns bitte sagen, ob es ein bekanntes Problem mit Version 4.2 gibt?",
        "Der nächtliche Export ist ebenfalls mit einer Zeitüberschreitung abgebrochen.",
        "Im Anhang finden Sie die Protokolldatei und einen Bildschirmausdruck.",
        "Vielen Dank für die schnelle Antwort, die Umgehungslösung hilft uns weiter.",
        "Leider besteht das Problem auch nach dem Einspielen des Patches weiterhin.",
    ],
    'fr': [
        "Depuis ce matin, nos utilisateurs ne peuvent plus se connecter au portail.",
        "Le message d'erreur indique que la session a expiré, même juste après la connexion.",
        "Nous avons redémarré le serveur d'applications deux fois, sans succès.",
        "Environ deux cents personnes du service comptable sont concernées.",
        "Pourriez-vous nous dire s'il existe un problème connu avec la version 4.2 ?",
        "Vous trouverez ci-joint le fichier journal et une capture d'écran.",
        "Merci pour votre réponse rapide, la solution de contournement fonctionne.",
        "Malheureusement, le problème persiste après l'application du correctif.",
    ],
    'es': [
        "Desde esta mañana nuestros usuarios no pueden iniciar sesión en el portal.",
        "El mensaje de error dice que la sesión ha caducado, incluso justo después de entrar.",
        "Hemos reiniciado el servidor de aplicaciones dos veces, pero el error vuelve.",
        "Afecta a unas doscientas personas del departamento de finanzas.",
        "¿Podrían decirnos si hay un problema conocido con la versión 4.2?",
        "Adjunto el archivo de registro y una captura de pantalla del error.",
        "Gracias por la respuesta rápida, la solución temporal nos ayuda.",
        "Lamentablemente el problema continúa después de aplicar el parche.",
    ],
    'fi': [
        "Tänä aamuna käyttäjämme eivät enää pääse kirjautumaan raportointiportaaliin.",
        "Virheilmoituksen mukaan istunto on vanhentunut, vaikka kirjautuminen on juuri tehty.",
        "Käynnistimme sovelluspalvelimen uudelleen kahdesti, mutta ongelma palasi.",
        "Ongelma koskee noin kahtasataa taloushallinnon työntekijää.",
        "Voisitteko kertoa, onko versiossa 4.2 tunnettu vika?",
        "Liitteenä on palvelimen lokitiedosto ja kuvakaappaus virheestä.",
        "Kiitos nopeasta vastauksesta, ehdottamanne kiertotie auttaa.",
        "Valitettavasti ongelma jatkuu edelleen korjauksen asentamisen jälkeen.",
    ],
    'ja': [
        "今朝からレポートポータルにログインできなくなりました。",
        "ログインした直後でも、セッションの有効期限が切れたというエラーが表示されます。",
        "アプリケーションサーバを二回再起動しましたが、数分後に同じ問題が発生しました。",
        "経理部の約二百名が影響を受けています。",
        "バージョン四点二で既知の問題があるかどうか教えていただけますでしょうか。",
        "夜間のエクスポート処理もタイムアウトで失敗しました。",
        "サーバのログファイルとエラー画面のスクリーンショットを添付いたします。",
        "早速のご回答ありがとうございます。ご提案の回避策で問題が解消しました。",
        "残念ながら、パッチを適用した後も問題が解決しておりません。",
        "お忙しいところ恐れ入りますが、ご確認のほどよろしくお願いいたします。",
    ],
    'zh': [
        "从今天早上开始，我们的用户无法登录报表门户。",
        "即使刚刚登录，系统也提示会话已过期。",
        "我们重新启动了两次应用服务器，但几分钟后问题再次出现。",
        "财务部门大约两百名员工受到影响。",
        "请问四点二版本是否存在已知问题？",
        "夜间导出任务也因为超时而失败了。",
        "附件是服务器日志文件和错误截图。",
        "感谢您的快速回复，您建议的临时解决方法有效。",
        "很遗憾，安装补丁以后问题仍然存在。",
    ],
}

SUBJECTS = {
    'en': ["Cannot log in to the reporting portal", "Nightly export fails with a timeout",
           "Session expires immediately", "Question about licence renewal",
           "Error 500 after upgrade to 4.2", "Slow response times since Monday"],
    'de': ["Anmeldung am Portal nicht möglich", "Nächtlicher Export bricht ab",
           "Fehler 500 nach dem Update auf 4.2"],
    'fr': ["Impossible de se connecter au portail", "L'export nocturne échoue",
           "Erreur 500 après la mise à jour"],
    'es': ["No podemos iniciar sesión en el portal", "La exportación nocturna falla",
           "Error 500 después de actualizar"],
    'fi': ["Kirjautuminen portaaliin ei onnistu", "Yöllinen vienti epäonnistuu"],
    'ja': ["レポートポータルにログインできません", "夜間エクスポートがタイムアウトします",
           "バージョン四点二へ更新後のエラーについて"],
    'zh': ["无法登录报表门户", "夜间导出任务超时失败", "升级后出现错误"],
}

NAMES = {
    'en': ["John Smith", "Mary Johnson", "Robert Brown", "Linda Davis", "James Wilson"],
    'de': ["Hans Müller", "Anna Schmidt", "Jürgen Weiß"],
    'fr': ["Jean Dupont", "Élodie Martin", "François Petit"],
    'es': ["José García", "María López", "Iñigo Fernández"],
    'fi': ["Matti Virtanen", "Päivi Korhonen"],
    'ja': ["山田 太郎", "佐藤 花子", "鈴木 一郎"],
    'zh': ["王伟", "李娜", "张敏"],
}

RE_PREFIX = {'en': 'Re: ', 'de': 'AW: ', 'fr': 'RE : ', 'es': 'RE: ', 'fi': 'VS: ',
             'ja': '返信: ', 'zh': '回复：'}

SIGNATURE = {
    'en': "-- \n{name}\nIT Operations\nExample Customer Ltd.\nPhone +1 555 0100\n",
    'de': "-- \n{name}\nIT-Betrieb\nBeispiel Kunde GmbH\nTel. +49 30 000000\n",
    'fr': "-- \n{name}\nExploitation informatique\nClient Exemple SA\n",
    'es': "-- \n{name}\nOperaciones de TI\nCliente Ejemplo S.L.\n",
    'fi': "-- \n{name}\nIT-palvelut\nEsimerkki Asiakas Oy\n",
    'ja': "--\n{name}\n株式会社サンプル 情報システム部\n電話 03-0000-0000\n",
    'zh': "--\n{name}\n示例客户有限公司 信息技术部\n",
}

GREETING = {'en': "Hello,", 'de': "Guten Tag,", 'fr': "Bonjour,", 'es': "Hola,",
            'fi': "Hei,", 'ja': "サポートご担当者様", 'zh': "您好，"}

DOMAINS = ['acme-corp.example', 'globex.example', 'initech.example', 'umbrella.example',
           'hooli.example', 'example.co.jp', 'example.com.cn', 'beispiel.example']

HTML_HEAD = ('<html xmlns:o="urn:schemas-microsoft-com:office:office">\n<head>\n'
             '<meta http-equiv="Content-Type" content="text/html; charset={cs}">\n'
             '<style><!--\n/* Font Definitions */\n@font-face {{font-family:Calibri;}}\n'
             'p.MsoNormal, li.MsoNormal, div.MsoNormal {{margin:0cm; font-size:11.0pt;'
             ' font-family:"Calibri",sans-serif;}}\n'
             'span.EmailStyle17 {{mso-style-type:personal-compose; color:windowtext;}}\n'
             '--></style>\n</head>\n<body lang="EN-US" link="#0563C1" vlink="#954F72">\n'
             '<div class="WordSection1">\n')


def pick_lang(rng):
    r = rng.random()
    if r < 0.15:
        return 'ja'
    if r < 0.25:
        return 'zh'
    return rng.choices(['en', 'de', 'fr', 'es', 'fi'], [45, 10, 8, 7, 5])[0]


def charset_for(lang, rng):
    if lang == 'ja':
        return 'iso-2022-jp' if rng.random() < 0.6 else 'utf-8'
    if lang == 'zh':
        return 'gb2312' if rng.random() < 0.5 else 'utf-8'
    return 'utf-8'


def rfc2047(text, charset):
    if all(ord(c) < 128 for c in text):
        return text
    # Encoded words at most 75 characters: split the text, never a character.
    words, chunk = [], ''
    for c in text:
        if len(base64.b64encode((chunk + c).encode(charset))) > 45:
            words.append(chunk)
            chunk = ''
        chunk += c
    if chunk:
        words.append(chunk)
    return '\n '.join('=?%s?B?%s?=' % (charset.upper(), base64.b64encode(w.encode(charset)).decode())
                      for w in words)


def body_text(lang, rng, paragraphs):
    sentences = TEXT[lang]
    out = []
    for _ in range(paragraphs):
        n = rng.randint(2, 6)
        sep = '' if lang in ('ja', 'zh') else ' '
        out.append(sep.join(rng.choice(sentences) for _ in range(n)))
    return '\n\n'.join(out)


def encode_text(text, charset):
    """(Content-Transfer-Encoding, encoded body) for a text part."""
    if charset == 'iso-2022-jp':
        return '7bit', text.encode('iso2022_jp').decode('ascii')
    if charset == 'gb2312':
        return 'base64', base64.encodebytes(text.encode('gb2312')).decode('ascii')
    data = text.encode('utf-8')
    if all(b < 128 for b in data):
        return '7bit', text
    if sum(b >= 128 for b in data) * 3 > len(data):
        # Mostly non-ASCII (Chinese, Japanese): mailers send base64.
        return 'base64', base64.encodebytes(data).decode('ascii')
    return 'quoted-printable', quopri.encodestring(data).decode('ascii')


def html_of(text, charset):
    paras = ''.join('<p class="MsoNormal">%s<o:p></o:p></p>\n<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n'
                    % p.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')
                    .replace('\n', '<br>\n') for p in text.split('\n\n'))
    return HTML_HEAD.format(cs=charset) + paras + '</div>\n</body>\n</html>\n'


def text_part(text, charset, subtype='plain'):
    cte, data = encode_text(text, charset)
    return ('Content-Type: text/%s; charset="%s"\nContent-Transfer-Encoding: %s\n\n%s\n'
            % (subtype, charset, cte, data.rstrip('\n')))


def attachment(rng):
    kind = rng.choice(['pdf', 'png', 'log'])
    if kind == 'log':
        lines = ['2026-11-19T02:15:%02d.%03dZ ERROR pool-%d worker: connection timed out after 30000 ms'
                 % (i % 60, rng.randint(0, 999), rng.randint(1, 8)) for i in range(rng.randint(20, 120))]
        data = ('\n'.join(lines) + '\n').encode()
        ctype, name = 'text/plain', 'server.log'
    else:
        size = rng.randint(2048, 24576)
        data = (b'%PDF-1.4\n' if kind == 'pdf' else b'\x89PNG\r\n\x1a\n') + rng.randbytes(size)
        ctype = 'application/pdf' if kind == 'pdf' else 'image/png'
        name = 'report.pdf' if kind == 'pdf' else 'screenshot.png'
    return ('Content-Type: %s; name="%s"\nContent-Disposition: attachment; filename="%s"\n'
            'Content-Transfer-Encoding: base64\n\n%s' % (ctype, name, name,
                                                          base64.encodebytes(data).decode('ascii')))


def quote_header(lang, name, addr):
    return {
        'en': "On Thu, 19 Nov 2026 at 09:12, %s <%s> wrote:" % (name, addr),
        'de': "Am Do., 19. Nov. 2026 um 09:12 Uhr schrieb %s <%s>:" % (name, addr),
        'fr': "Le jeu. 19 nov. 2026 à 09:12, %s <%s> a écrit :" % (name, addr),
        'es': "El jue, 19 nov 2026 a las 09:12, %s (<%s>) escribió:" % (name, addr),
        'fi': "%s <%s> kirjoitti 19.11.2026 klo 9.12:" % (name, addr),
        'ja': "2026年11月19日(木) 9:12 %s <%s>のメッセージ:" % (name, addr),
        'zh': "%s <%s> 于2026年11月19日周四 09:12写道：" % (name, addr),
    }[lang]


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.threads = []        # (lang, charset, name, addr, subject, msgid, text)
        self.counts = {}

    def count(self, key):
        self.counts[key] = self.counts.get(key, 0) + 1

    def message(self, i):
        rng = self.rng
        date = T0 + i * 7
        reply = self.threads and rng.random() < 1 / 3
        ooo = self.threads and not reply and rng.random() < 0.015
        if reply or ooo:
            lang, charset, name, addr, subject, parent, parent_text = rng.choice(self.threads)
        else:
            lang = pick_lang(rng)
            charset = charset_for(lang, rng)
            name = rng.choice(NAMES[lang])
            addr = 'user%d@%s' % (i, rng.choice(DOMAINS))
            subject = rng.choice(SUBJECTS[lang])
            if rng.random() < 0.1:
                subject = '[Sev%d] %s' % (rng.randint(1, 4), subject)
            parent = parent_text = None
        msgid = 'bench-%d.%x@%s' % (i, rng.getrandbits(48), addr.split('@')[1])
        headers = [
            'Return-Path: <%s>' % addr,
            'Received: from mail.%s (mail.%s [192.0.2.%d]) by mx.example.com with ESMTPS id %x; '
            'Thu, 19 Nov 2026 09:12:00 +0000' % (addr.split('@')[1], addr.split('@')[1],
                                                   i % 250 + 1, rng.getrandbits(40)),
            'From: %s <%s>' % (rfc2047(name, charset), addr),
            'To: Example Support <support@example.com>',
            'Date: %s' % fmt_date(date),
            'Message-ID: <%s>' % msgid,
            'MIME-Version: 1.0',
        ]
        if ooo:
            self.count('auto_reply')
            headers += ['Subject: Out of office: %s' % rfc2047(subject, charset),
                        'Auto-Submitted: auto-replied', 'In-Reply-To: <%s>' % parent]
            text = "I am out of the office until Monday and will reply to your message then.\n"
            return '\n'.join(headers) + '\n' + text_part(text, 'utf-8'), msgid, None
        new_text = '%s\n\n%s\n\n%s' % (GREETING[lang], body_text(lang, rng, rng.randint(2, 5)),
                                       SIGNATURE[lang].format(name=name))
        if reply:
            self.count('reply')
            headers += ['Subject: %s' % rfc2047(RE_PREFIX[lang] + subject, charset),
                        'In-Reply-To: <%s>' % parent, 'References: <%s>' % parent]
            quoted = '\n'.join(('> ' + line) if line else '>' for line in parent_text.split('\n'))
            if lang == 'en' and rng.random() < 0.4:
                text = '%s\n-----Original Message-----\nFrom: %s <%s>\nSent: Thursday, November 19, ' \
                       '2026 9:12 AM\nTo: Example Support <support@example.com>\nSubject: %s\n\n%s\n' \
                       % (new_text, name, addr, subject, parent_text)
            else:
                text = '%s\n%s\n%s\n' % (new_text, quote_header(lang, name, addr), quoted)
        else:
            self.count('new')
            headers.append('Subject: %s' % rfc2047(subject, charset))
            text = new_text
        self.count(lang)
        form = rng.random()
        boundary = '----=_Part_%d_%x' % (i, rng.getrandbits(32))
        if form < 0.60:
            self.count('text')
            body = text_part(text, charset)
        elif form < 0.85:
            self.count('alternative')
            headers.append('Content-Type: multipart/alternative; boundary="%s"' % boundary)
            body = '\nThis is a multi-part message in MIME format.\n\n--%s\n%s\n--%s\n%s\n--%s--\n' % (
                boundary, text_part(text, charset), boundary,
                text_part(html_of(text, charset), charset, 'html'), boundary)
        elif form < 0.90:
            self.count('html')
            body = text_part(html_of(text, charset), charset, 'html')
        else:
            self.count('attachment')
            headers.append('Content-Type: multipart/mixed; boundary="%s"' % boundary)
            body = '\n--%s\n%s\n--%s\n%s--%s--\n' % (boundary, text_part(text, charset), boundary,
                                                     attachment(rng), boundary)
        raw = '\n'.join(headers) + '\n' + body
        thread = (lang, charset, name, addr, subject, msgid, new_text)
        return raw, msgid, thread if not reply else None


DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']
MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']


def fmt_date(t):
    import time
    tm = time.gmtime(t)
    return '%s, %02d %s %04d %02d:%02d:%02d +0000' % (DAYS[tm.tm_wday], tm.tm_mday,
                                                       MONTHS[tm.tm_mon - 1], tm.tm_year,
                                                       tm.tm_hour, tm.tm_min, tm.tm_sec)


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--maildir', required=True)
    p.add_argument('--count', type=int, required=True)
    p.add_argument('--seed', type=int, default=12)
    p.add_argument('--start', type=int, default=0, help='number of the first mail')
    p.add_argument('--owner', help='UID:GID for the files (Dovecot reads them as that user)')
    args = p.parse_args()

    cur = os.path.join(args.maildir, 'cur')
    os.makedirs(cur, exist_ok=True)
    uid = gid = None
    if args.owner:
        uid, gid = (int(x) for x in args.owner.split(':'))
    gen = Gen(args.seed)
    total = 0
    for i in range(args.start, args.start + args.count):
        raw, msgid, thread = gen.message(i)
        if thread is not None:
            gen.threads.append(thread)
        data = raw.encode('utf-8')
        vsize = len(data) + data.count(b'\n')
        total += len(data)
        name = '%d.M%06dP1.bench,S=%d,W=%d:2,' % (T0 + i, i % 1000000, len(data), vsize)
        path = os.path.join(cur, name)
        with open(path, 'wb') as f:
            f.write(data)
        if uid is not None:
            os.chown(path, uid, gid)
    gen.counts['bytes'] = total
    gen.counts['mean_bytes'] = total // max(args.count, 1)
    print(json.dumps(gen.counts, sort_keys=True))
    return 0


if __name__ == '__main__':
    sys.exit(main())
