/* Unit tests for lib/mail/reply.c: the new text of a reply. */
#include "html.h"
#include "reply.h"
#include "test.h"

#include <stdlib.h>
#include <string.h>

static void
check(const char *body, const char *want)
{
	char *r = reply_extract(body);

	test_assert_streq(r, want);
	free(r);
}

/* What every Outlook sample below says above its quote. */
#define NEW_EN "Hello,\n\nplease close the ticket, it works now.\n\nRegards\nBob"

static void
test_gmail(void)
{
	test_begin("reply Gmail en, one line and wrapped");
	check("Hi,\n\nThanks, the export works again.\n\nBest,\nJane\n\n"
	      "On Tue, 2 Jan 2024 at 09:15, Example Support <support@example.com> wrote:\n"
	      "\n> Hello Jane,\n>\n> please retry the export.\n>\n",
	      "Hi,\n\nThanks, the export works again.\n\nBest,\nJane");
	check("Thanks, works.\n\n"
	      "On Mon, Jan 1, 2024 at 10:00 AM Example Support <support@example.com>\n"
	      "wrote:\n\n> Hello Jane,\n> please retry.\n",
	      "Thanks, works.");
	check("Thanks, works.\n\n"
	      "On Mon, Jan 1, 2024 at 10:00 AM Example Support <\n"
	      "support@example.com> wrote:\n\n> Hello Jane,\n",
	      "Thanks, works.");
	/* a sentence right above the header stays */
	check("Thanks for the quick answer\n"
	      "On Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com> wrote:\n"
	      "> old\n",
	      "Thanks for the quick answer");
	check("On Monday I restarted it and\nit was fine again.\n"
	      "On Mon, Jan 1, 2024 at 10:00 AM Support <support@example.com> wrote:\n"
	      "> old\n",
	      "On Monday I restarted it and\nit was fine again.");
	test_end();
}

static void
test_outlook(void)
{
	test_begin("reply Outlook en block after underscores, CRLF");
	check("Hello,\r\n\r\nplease close the ticket, it works now.\r\n\r\nRegards\r\nBob\r\n\r\n"
	      "________________________________\r\n"
	      "From: Example Support <support@example.com>\r\n"
	      "Sent: Monday, January 1, 2024 10:00 AM\r\n"
	      "To: Bob Smith <bob@corp.example>\r\n"
	      "Cc: Alice <alice@corp.example>\r\n"
	      "Subject: RE: [SUP-42] Export fails\r\n\r\n"
	      "Hello Bob,\r\n\r\nplease try again.\r\n",
	      NEW_EN);
	check(NEW_EN "\n\n*From:* Example Support <support@example.com>\n"
	      "*Sent:* Monday, January 1, 2024 10:00 AM\n*To:* Bob <bob@corp.example>\n"
	      "*Subject:* RE: [SUP-42] Export fails\n\nHello Bob,\n",
	      NEW_EN);
	/* Outlook for Mac: From/Date/To/Subject, no rule */
	check(NEW_EN "\n\nFrom: Example Support <support@example.com>\n"
	      "Date: Monday, 1 January 2024 at 10:00\nTo: Bob <bob@corp.example>\n"
	      "Subject: Re: [SUP-42] Export fails\n\nHello Bob,\n",
	      NEW_EN);
	test_end();

	test_begin("reply Outlook blocks in de, fr, es, fi, ja, zh");
	check("Hallo,\n\ndas Problem ist gelöst.\n\nGruß\nMax\n\n"
	      "________________________________\n"
	      "Von: Example Support <support@example.com>\n"
	      "Gesendet: Montag, 1. Januar 2024 10:00\n"
	      "An: Max Mustermann <max@firma.example>\n"
	      "Betreff: AW: [SUP-42] Export schlägt fehl\n\nHallo Max,\n",
	      "Hallo,\n\ndas Problem ist gelöst.\n\nGruß\nMax");
	check("Bonjour,\n\nc'est réglé, merci.\n\nJean\n\n"
	      "________________________________\n"
	      "De : Example Support <support@example.com>\n"
	      "Envoyé : lundi 1 janvier 2024 10:00\n"
	      "À : Jean Dupont <jean@societe.example>\n"
	      "Objet : RE: [SUP-42] L'export échoue\n\nBonjour Jean,\n",
	      "Bonjour,\n\nc'est réglé, merci.\n\nJean");
	/* French with no-break spaces before the colons */
	check("C'est bon.\n\nDe\xc2\xa0: Support <support@example.com>\n"
	      "Envoy\xc3\xa9\xc2\xa0: lundi 1 janvier 2024 10:00\n"
	      "\xc3\x80\xc2\xa0: Jean <jean@societe.example>\n"
	      "Objet\xc2\xa0: RE: test\n\nancien\n",
	      "C'est bon.");
	check("Hola,\n\nya funciona, gracias.\n\nJuan\n\n"
	      "________________________________\n"
	      "De: Example Support <support@example.com>\n"
	      "Enviado el: lunes, 1 de enero de 2024 10:00\n"
	      "Para: Juan Pérez <juan@empresa.example>\n"
	      "Asunto: RE: [SUP-42] La exportación falla\n\nHola Juan,\n",
	      "Hola,\n\nya funciona, gracias.\n\nJuan");
	check("Hei,\n\nnyt toimii, kiitos.\n\nMatti\n\n"
	      "________________________________\n"
	      "Lähettäjä: Example Support <support@example.com>\n"
	      "Lähetetty: maanantai 1. tammikuuta 2024 10.00\n"
	      "Vastaanottaja: Matti Meikäläinen <matti@yritys.example>\n"
	      "Aihe: VS: [SUP-42] Vienti epäonnistuu\n\nHei Matti,\n",
	      "Hei,\n\nnyt toimii, kiitos.\n\nMatti");
	check("お世話になっております。\n解決しました。ありがとうございました。\n\n山田\n\n"
	      "________________________________\n"
	      "差出人: Example Support <support@example.com>\n"
	      "送信日時: 2024年1月1日 10:00\n"
	      "宛先: 山田太郎 <taro@example.jp>\n"
	      "件名: RE: [SUP-42] エクスポートが失敗します\n\n山田様\n",
	      "お世話になっております。\n解決しました。ありがとうございました。\n\n山田");
	check("您好，\n\n问题已经解决了，谢谢。\n\n张三\n\n"
	      "发件人: Example Support <support@example.com>\n"
	      "发送时间: 2024年1月1日 10:00\n"
	      "收件人: 张三 <zhang@example.cn>\n"
	      "主题: 回复: [SUP-42] 导出失败\n\n张先生，您好\n",
	      "您好，\n\n问题已经解决了，谢谢。\n\n张三");
	/* full-width colons */
	check("已解决。\n\n发件人：Support <support@example.com>\n"
	      "发送时间：2024年1月1日 10:00\n收件人：张三\n主题：回复：测试\n\n旧的\n",
	      "已解决。");
	test_end();
}

static void
test_original_message(void)
{
	test_begin("reply Original Message separators in seven languages");
	check(NEW_EN "\n\n-----Original Message-----\nFrom: Support\nSent: today\n\nold\n",
	      NEW_EN);
	check("Danke!\n\n-----Ursprüngliche Nachricht-----\nVon: Support\n\nalt\n", "Danke!");
	check("Merci !\n\n-----Message d'origine-----\nDe : Support\n\nancien\n", "Merci !");
	check("¡Gracias!\n\n-----Mensaje original-----\nDe: Soporte\n\nviejo\n", "¡Gracias!");
	check("Kiitos!\n\n-----Alkuperäinen viesti-----\nLähettäjä: Tuki\n\nvanha\n", "Kiitos!");
	check("ありがとうございます。\n\n-----元のメッセージ-----\n差出人: サポート\n\n古い\n",
	      "ありがとうございます。");
	check("谢谢！\n\n-----原始邮件-----\n发件人: 支持\n\n旧\n", "谢谢！");
	check("Danke\n\n-------- Original-Nachricht --------\nBetreff: x\n\nalt\n", "Danke");
	check("Thanks\n\n----- Original Message -----\nFrom: x\n", "Thanks");
	test_end();
}

static void
test_apple_thunderbird(void)
{
	test_begin("reply Apple Mail and Thunderbird");
	/* macOS Mail */
	check("Works now, thanks.\n\nJane\n\n"
	      "On 1 Jan 2024, at 10:00, Example Support <support@example.com> wrote:\n\n"
	      "> Hello Jane,\n> please retry.\n",
	      "Works now, thanks.\n\nJane");
	/* iOS Mail quotes the header too, after its footer */
	check("Works now, thanks.\n\nSent from my iPhone\n\n"
	      "> On 1 Jan 2024, at 10:00, Example Support <support@example.com> wrote:\n"
	      "> \n> Hello Jane,\n",
	      "Works now, thanks.");
	check("Still broken.\n\nOn 01/01/2024 10:00, Example Support wrote:\n> Please retry.\n",
	      "Still broken.");
	check("Still broken.\n\nOn 1/1/24 10:00 AM, Example Support wrote:\n> Please retry.\n",
	      "Still broken.");
	/* old style "Name wrote:" needs quoted lines after it */
	check("Still broken.\n\nExample Support wrote:\n> Please retry.\n", "Still broken.");
	check("As my colleague wrote:\nthe server restarts every night.\n",
	      "As my colleague wrote:\nthe server restarts every night.");
	check("Yesterday at 10:00 my colleague wrote:\nthe server restarts every night.\n",
	      "Yesterday at 10:00 my colleague wrote:\nthe server restarts every night.");
	check("Fixed.\n\nExample Support <support@example.com> wrote:\n\nold text\n", "Fixed.");
	check("On the server I wrote a script for this:\nrm -rf /tmp/cache\n",
	      "On the server I wrote a script for this:\nrm -rf /tmp/cache");
	check("Am Montag schrieb ich Ihnen Folgendes:\nDer Server startet neu.\n",
	      "Am Montag schrieb ich Ihnen Folgendes:\nDer Server startet neu.");
	test_end();
}

static void
test_wrote_localised(void)
{
	test_begin("reply wrote headers in ja, zh, de, fr, es, fi");
	/* Gmail in Japanese, one line and wrapped */
	check("確認しました。\n\n2024年1月1日(月) 10:00 Example Support <support@example.com>:\n\n"
	      "> 山田様\n> 再度お試しください。\n",
	      "確認しました。");
	check("確認しました。\n\n2024年1月1日(月) 10:00 Example Support <\n"
	      "support@example.com>:\n\n> 山田様\n",
	      "確認しました。");
	check("了解です。\n\n2024/01/01 10:00、Example Support <support@example.com> のメッセージ:\n\n"
	      "> 山田様\n",
	      "了解です。");
	check("了解です。\n\n2024/01/01 10:00 に Example Support さんは書きました:\n> 山田様\n",
	      "了解です。");
	check("好的，谢谢。\n\nExample Support <support@example.com> 于2024年1月1日周一 10:00写道：\n\n"
	      "> 张先生，您好\n",
	      "好的，谢谢。");
	check("好的，謝謝。\n\n在 2024年1月1日 週一 上午10:00，Example Support <support@example.com> 寫道：\n\n"
	      "> 張先生\n",
	      "好的，謝謝。");
	check("Danke, läuft wieder.\n\nAm Mo., 1. Jan. 2024 um 10:00 Uhr schrieb Example Support <"
	      "support@example.com>:\n\n> Hallo Max,\n",
	      "Danke, läuft wieder.");
	check("Danke.\n\nAm 01.01.24 um 10:00 schrieb Example Support:\n> Hallo Max,\n", "Danke.");
	check("Merci, c'est réglé.\n\n"
	      "Le lun. 1 janv. 2024 à 10:00, Example Support <support@example.com> a écrit\xc2\xa0:\n\n"
	      "> Bonjour Jean,\n",
	      "Merci, c'est réglé.");
	check("Merci.\n\nLe 01/01/2024 à 10:00, Example Support a écrit :\n> Bonjour\n", "Merci.");
	check("Gracias, ya funciona.\n\n"
	      "El lun, 1 ene 2024 a las 10:00, Example Support (<support@example.com>) escribió:\n\n"
	      "> Hola Juan,\n",
	      "Gracias, ya funciona.");
	check("Kiitos, nyt toimii.\n\n"
	      "ma 1. tammik. 2024 klo 10.00 Example Support (<support@example.com>) kirjoitti:\n\n"
	      "> Hei Matti,\n",
	      "Kiitos, nyt toimii.");
	check("Kiitos.\n\nma 1.1.2024 klo 10.00 Example Support <support@example.com>\n"
	      "kirjoitti:\n\n> Hei Matti,\n",
	      "Kiitos.");
	check("Kiitos.\n\nExample Support kirjoitti 1.1.2024 klo 10.00:\n> Hei Matti,\n", "Kiitos.");
	test_end();
}

static void
test_signatures(void)
{
	test_begin("reply signatures and mobile footers");
	check("Thanks, fixed.\n\n-- \nJohn Doe\nACME Corp\n+1 555 0100\n", "Thanks, fixed.");
	check("Thanks, fixed.\r\n--\r\nJohn Doe\r\n", "Thanks, fixed.");
	check("Thanks, fixed.\n\n-- \nJohn\n\nOn 01/01/2024 10:00, Support wrote:\n> x\n",
	      "Thanks, fixed.");
	check("Fixed.\n\nSent from my iPhone\n", "Fixed.");
	check("Fixed.\n\nSent from my Galaxy\n", "Fixed.");
	check("Fixed.\n\nGet Outlook for Android<https://aka.ms/AAb9ysg>\n", "Fixed.");
	check("Geht wieder.\n\nVon meinem iPhone gesendet\n", "Geht wieder.");
	check("C'est bon.\n\nEnvoyé de mon iPhone\n", "C'est bon.");
	check("Ya funciona.\n\nEnviado desde mi iPhone\n", "Ya funciona.");
	check("Toimii.\n\nLähetetty iPhonesta\n", "Toimii.");
	check("直りました。\n\niPhoneから送信\n", "直りました。");
	check("好了。\n\n发自我的iPhone\n", "好了。");
	/* a "--" inside a line or a longer rule is no signature */
	check("a -- b\n---\nc\n", "a -- b\n---\nc");
	test_end();
}

static void
test_unchanged(void)
{
	test_begin("reply without quotes is unchanged");
	check("Hello,\n\nmy server is down since 10:00.\nPlease call me.\n\nRegards,\nAnna",
	      "Hello,\n\nmy server is down since 10:00.\nPlease call me.\n\nRegards,\nAnna");
	check("\n\n  indented first line\nsecond\n\n\n", "  indented first line\nsecond");
	check("From: our side everything looks fine.\nTo: do: restart.\n",
	      "From: our side everything looks fine.\nTo: do: restart.");
	check("On Monday we will upgrade the server, as you wrote.\nOK?",
	      "On Monday we will upgrade the server, as you wrote.\nOK?");
	check("", "");
	{
		char *r = reply_extract(NULL);

		test_assert_streq(r, "");
		free(r);
	}
	test_end();
}

static void
test_quotes(void)
{
	test_begin("reply quote blocks, bottom posting, interleaving, all quote");
	check("Yes, please.\n\n> Shall we close it?\n> \n>> older\n\n", "Yes, please.");
	/* bottom posting: the answer is below the quote */
	check("On 01/01/2024 10:00, Support wrote:\n> Shall we close it?\n\nYes, please.\n\n-- \nBob\n",
	      "Yes, please.");
	check("On 02/01/2024 09:00, Support wrote:\n> Closed?\n\nYes.\n\n"
	      "On 01/01/2024 10:00, Bob wrote:\n> older\n",
	      "Yes.");
	/* interleaved answers are kept with their questions */
	check("> Which version?\n4.2\n> Which OS?\nDebian 12\n",
	      "> Which version?\n4.2\n> Which OS?\nDebian 12");
	/* nothing new at all: the body, minus its signature */
	check("> old text\n> more\n-- \nBob\n", "> old text\n> more");
	check("________________________________\nFrom: Support <support@example.com>\n"
	      "Sent: Monday\nTo: Bob\nSubject: RE: x\n\nold\n",
	      "________________________________\nFrom: Support <support@example.com>\n"
	      "Sent: Monday\nTo: Bob\nSubject: RE: x\n\nold");
	test_end();
}

static void
test_forwards(void)
{
	test_begin("reply forwarded messages are kept");
	check("FYI, see the error below.\n\n---------- Forwarded message ---------\n"
	      "From: Monitor <monitor@corp.example>\nDate: Mon, Jan 1, 2024 at 10:00 AM\n"
	      "Subject: ALERT disk full\nTo: <ops@corp.example>\n\nDisk /var is 100% full.\n",
	      "FYI, see the error below.\n\n---------- Forwarded message ---------\n"
	      "From: Monitor <monitor@corp.example>\nDate: Mon, Jan 1, 2024 at 10:00 AM\n"
	      "Subject: ALERT disk full\nTo: <ops@corp.example>\n\nDisk /var is 100% full.");
	check("See below.\n\nSent from my iPhone\n\nBegin forwarded message:\n\n"
	      "From: Monitor <monitor@corp.example>\nDate: 1 January 2024 at 10:00:00 CET\n"
	      "Subject: ALERT\n\nDisk full.\n",
	      "See below.\n\nBegin forwarded message:\n\n"
	      "From: Monitor <monitor@corp.example>\nDate: 1 January 2024 at 10:00:00 CET\n"
	      "Subject: ALERT\n\nDisk full.");
	check("Siehe unten.\n\n________________________________\nVon: Monitor\n"
	      "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Ops\nBetreff: WG: Alarm\n\nPlatte voll.\n",
	      "Siehe unten.\n\n________________________________\nVon: Monitor\n"
	      "Gesendet: Montag, 1. Januar 2024 10:00\nAn: Ops\nBetreff: WG: Alarm\n\nPlatte voll.");
	test_end();
}

/* HTML mail as html_to_text renders it, then reply_extract. */
static void
check_html(const char *html, const char *want)
{
	char *text = html_to_text(html, strlen(html));

	check(text, want);
	free(text);
}

static void
test_from_html(void)
{
	test_begin("reply of HTML mail from Gmail and Outlook");
	check_html("<div dir=\"ltr\">Thanks, fixed.<div><br></div><div>Jane</div></div><br>"
		   "<div class=\"gmail_quote\"><div dir=\"ltr\" class=\"gmail_attr\">On Mon, "
		   "Jan 1, 2024 at 10:00\u202fAM Example Support &lt;<a href=\"mailto:"
		   "support@example.com\">support@example.com</a>&gt; wrote:<br></div>"
		   "<blockquote class=\"gmail_quote\" style=\"margin:0px\">Hello Jane,"
		   "<br>please retry.</blockquote></div>",
		   "Thanks, fixed.\n\nJane");
	check_html("<div class=\"WordSection1\"><p class=\"MsoNormal\">Works now.<o:p></o:p></p>"
		   "<p class=\"MsoNormal\"><o:p>&nbsp;</o:p></p><div><div style=\"border:none;"
		   "border-top:solid #E1E1E1 1.0pt\"><p class=\"MsoNormal\"><b>From:</b> "
		   "Example Support &lt;support@example.com&gt; <br><b>Sent:</b> Monday, "
		   "January 1, 2024 10:00 AM<br><b>To:</b> Bob &lt;bob@corp.example&gt;<br>"
		   "<b>Subject:</b> RE: [SUP-42] Export fails<o:p></o:p></p></div></div>"
		   "<p class=\"MsoNormal\">Hello Bob<o:p></o:p></p></div>",
		   "Works now.");
	test_end();
}

static void
test_large(void)
{
	char *body, *r;
	size_t i, n = 200000;
	const char *line = "> quoted history line number something\n";
	size_t ll = strlen(line);

	test_begin("reply large body");
	body = malloc(6 + n * ll + 1);
	test_assert(body != NULL);
	memcpy(body, "Fine.\n", 6);
	for (i = 0; i < n; i++)
		memcpy(body + 6 + i * ll, line, ll);
	body[6 + n * ll] = '\0';
	r = reply_extract(body);
	test_assert_streq(r, "Fine.");
	free(r);
	free(body);
	test_end();
}

int
main(void)
{
	test_gmail();
	test_outlook();
	test_original_message();
	test_apple_thunderbird();
	test_wrote_localised();
	test_signatures();
	test_unchanged();
	test_quotes();
	test_forwards();
	test_from_html();
	test_large();
	return test_done();
}
