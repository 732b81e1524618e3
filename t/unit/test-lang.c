/* Unit tests for lib/mail/lang.c: language detection. */
#include "lang.h"
#include "test.h"
#include "xmalloc.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void
check(const char *text, const char *want)
{
	const char *got = lang_detect(text);

	if (want == NULL) {
		if (got != NULL)
			printf("#   '%.60s' detected as %s, expected NULL\n", text, got);
		test_assert(got == NULL);
	} else {
		if (got == NULL || strcmp(got, want) != 0)
			printf("#   '%.60s'\n", text);
		test_assert_streq(got, want);
	}
}

static void
test_english(void)
{
	test_begin("lang en");
	check("Our production database went down at 3am and we cannot restart it. "
	      "Please call us as soon as possible.", "en");
	check("I would like to know how to change the email address on my account.", "en");
	check("Could you send me the invoice for March? Thanks, Tom", "en");
	check("The app crashes when I click on Save.", "en");
	check("Hi, the login doesn't work since yesterday. Thanks", "en");
	check("Server down, please help", "en");
	check("I have a question about the invoice.", "en");
	test_end();
}

static void
test_german(void)
{
	test_begin("lang de");
	check("Unsere Produktionsdatenbank ist heute Nacht ausgefallen und lässt sich "
	      "nicht mehr starten. Bitte rufen Sie uns an.", "de");
	check("Ich möchte die E-Mail-Adresse meines Kontos ändern. Wie geht das?", "de");
	check("Können Sie mir die Rechnung für März schicken? Vielen Dank, Thomas", "de");
	check("Die App stürzt ab, wenn ich auf Speichern klicke.", "de");
	check("Sehr geehrte Damen und Herren, unser Server ist ausgefallen.", "de");
	check("Login geht nicht", "de");
	check("Es ist dringend", "de");
	test_end();
}

static void
test_spanish(void)
{
	test_begin("lang es");
	check("Nuestra base de datos de producción se cayó a las 3 de la mañana y no "
	      "podemos reiniciarla. Por favor, llámennos lo antes posible.", "es");
	check("Me gustaría saber cómo cambiar la dirección de correo de mi cuenta.", "es");
	check("¿Pueden enviarme la factura de marzo? Gracias, Tomás", "es");
	check("La aplicación se cierra cuando hago clic en Guardar.", "es");
	check("Hola, no puedo entrar a mi cuenta desde ayer. Gracias", "es");
	check("El servidor no responde", "es");
	test_end();
}

static void
test_french(void)
{
	test_begin("lang fr");
	check("Notre base de données de production est tombée en panne à 3h et nous ne "
	      "pouvons pas la redémarrer. Merci de nous appeler rapidement.", "fr");
	check("Je voudrais savoir comment changer l'adresse e-mail de mon compte.", "fr");
	check("Pourriez-vous m'envoyer la facture de mars ? Merci, Thomas", "fr");
	check("L'application plante quand je clique sur Enregistrer.", "fr");
	check("Bonjour, je n'arrive pas à me connecter depuis hier. Merci", "fr");
	check("Le site ne marche pas", "fr");
	test_end();
}

static void
test_finnish(void)
{
	test_begin("lang fi");
	check("Tuotantotietokantamme kaatui kello 3 yöllä emmekä saa sitä käynnistettyä "
	      "uudelleen. Soittakaa meille mahdollisimman pian.", "fi");
	check("Haluaisin tietää, miten voin vaihtaa tilini sähköpostiosoitteen.", "fi");
	check("Voisitteko lähettää minulle maaliskuun laskun? Kiitos, Tuomas", "fi");
	check("Sovellus kaatuu, kun painan Tallenna-painiketta.", "fi");
	check("Hei, en pääse kirjautumaan sisään eilisestä lähtien. Kiitos", "fi");
	check("Palvelin ei vastaa", "fi");
	check("Tilaukseni ei näy järjestelmässä.", "fi");
	test_end();
}

static void
test_cjk(void)
{
	test_begin("lang ja and zh");
	check("本番データベースが午前3時に停止し、再起動できません。至急お電話ください。", "ja");
	check("アカウントのメールアドレスを変更する方法を教えてください。", "ja");
	check("お世話になっております。\nログインできません。", "ja");
	check("Error: connection refused\nサーバーに接続できません。", "ja");
	check("生产数据库在凌晨3点宕机，无法重新启动。请尽快给我们打电话。", "zh");
	check("我想知道如何更改我账户的电子邮件地址。", "zh");
	check("請問如何更改我帳戶的電子郵件地址？", "zh");
	check("无法登录，请尽快处理。", "zh");
	/* an English mail signed in Japanese stays English */
	check("Hello, the nightly export has failed three times this week and the "
	      "log shows a timeout. Could you please have a look?\n\n山田太郎", "en");
	test_end();
}

static void
test_unsure(void)
{
	test_begin("lang unsure: empty, short, mixed, other languages");
	check(NULL, NULL);
	check("", NULL);
	check("   \n\n ", NULL);
	check("12345 !!! ???", NULL);
	check("Thanks", NULL);
	check("Danke!", NULL);
	check("OK", NULL);
	check("Hallo, Hello, Hola, Bonjour", NULL);
	check("Hello, ich habe ein Problem with the server", NULL);
	check("error code 500 internal server error", NULL);
	check("Привет, как дела? Не работает логин.", NULL);
	check("안녕하세요. 로그인이 안 됩니다.", NULL);
	check("了", NULL);
	test_end();
}

static void
test_ignored(void)
{
	test_begin("lang ignores quotes, addresses and links");
	check("Das funktioniert jetzt, danke!\n\n"
	      "> On Mon, Jan 1, 2024 at 10:00 AM Support wrote:\n"
	      "> Hello, could you please try again and tell us what the error is?\n"
	      "> The server should be back now and the export should work.\n", "de");
	check("https://example.com/the/and/with/for/this/that "
	      "the.and.with@example.com www.the-and-with.com", NULL);
	check("Bitte prüfen Sie https://example.com/the/and/with/for/this/that "
	      "und schreiben Sie an the.and.with.you@example.com", "de");
	check("詳細はsupport@example.comまでお問い合わせください。", "ja");
	test_end();
}

static void
test_long(void)
{
	struct buf b = BUF_INIT;
	clock_t t0;
	int i, ok = 1;

	test_begin("lang long text: only the start is read, fast");
	for (i = 0; i < 2000; i++)
		buf_adds(&b, "Der Server ist nicht erreichbar und wir wissen nicht warum. ");
	buf_adds(&b, "The server is down and we do not know why, this is not German.");
	t0 = clock();
	for (i = 0; i < 2000; i++)
		if (lang_detect(buf_str(&b)) == NULL)
			ok = 0;
	test_assert(ok);
	check(buf_str(&b), "de");
	/* 2000 runs over 4 KiB each: well under a second */
	test_assert((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	buf_release(&b);

	/* long quoted history before the text costs little and counts nothing */
	for (i = 0; i < 5000; i++)
		buf_adds(&b, "> Der Server ist nicht erreichbar.\n");
	buf_adds(&b, "The server is back, thank you for your patience.");
	check(buf_str(&b), "en");
	buf_release(&b);
	test_end();
}

static void
test_supported(void)
{
	test_begin("lang_supported and the word table");
	test_assert(lang_supported("en"));
	test_assert(lang_supported("zh"));
	test_assert(lang_supported("fi"));
	test_assert(!lang_supported("it"));
	test_assert(!lang_supported("EN"));
	test_assert(!lang_supported(""));
	test_assert(!lang_supported(NULL));
	test_assert(lang_table_sorted());
	test_end();
}

int
main(void)
{
	test_english();
	test_german();
	test_spanish();
	test_french();
	test_finnish();
	test_cjk();
	test_unsure();
	test_ignored();
	test_long();
	test_supported();
	return test_done();
}
