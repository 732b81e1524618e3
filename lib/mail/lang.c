/*
 * lang: which of ticketd's seven languages a text is written in.
 *
 * A small deterministic heuristic (see lang.h): one pass over at most
 * LANG_SCAN_BYTES of text counts scripts and scores the five Latin-script
 * languages by common words and letters.  No allocation; the only global
 * state is a hash index over the word table, built once (pthread_once)
 * and read-only after that.  Every word costs a hash and one or two
 * comparisons, every ending check a length test and a byte or two.
 */
#include "lang.h"

#include "utf8.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	LANG_EN = 1 << 0,
	LANG_DE = 1 << 1,
	LANG_ES = 1 << 2,
	LANG_FR = 1 << 3,
	LANG_FI = 1 << 4
};

/* Index of each Latin-script language in the scores. */
enum { EN, DE, ES, FR, FI, N_LATIN };

static const char *const latin_codes[N_LATIN] = { "en", "de", "es", "fr", "fi" };

/* Words in one language score 2, words shared by several 1 each. */
#define LANG_WORD_SCORE 2
/* The winner needs this much evidence (two common words) … */
#define LANG_MIN_SCORE 4
/* … and this lead over the second, also at least 3:2 in ratio. */
#define LANG_MIN_LEAD 4
/*
 * Reading stops early once a Latin-script language has this score and
 * three times the second's, with no other script seen: more text would
 * not change the answer, only cost (most mail is decided within its first
 * lines; the scan limit is for mail that is not).
 */
#define LANG_SETTLED_SCORE 48
#define LANG_SETTLED_BYTES 1024   /* … and only after this much text */
/* Longer words are no common words and carry no endings we look for. */
#define LANG_MAX_WORD 24

struct lang_word {
	const char *word;
	unsigned langs;
};

/* Common words, lowercase; sorted by strcmp (bytes): keep it so. */
static const struct lang_word lang_words[] = {
	{ "aber", LANG_DE }, { "able", LANG_EN }, { "about", LANG_EN },
	{ "acceso", LANG_ES }, { "after", LANG_EN }, { "again", LANG_EN },
	{ "ai", LANG_FR }, { "al", LANG_ES }, { "alhaalla", LANG_FI },
	{ "all", LANG_EN }, { "already", LANG_EN }, { "also", LANG_DE },
	{ "and", LANG_EN }, { "anmeldung", LANG_DE }, { "any", LANG_EN },
	{ "anyone", LANG_EN }, { "appreciate", LANG_EN }, { "apua", LANG_FI },
	{ "are", LANG_EN }, { "aren", LANG_EN }, { "asia", LANG_FI },
	{ "asiaa", LANG_FI }, { "at", LANG_EN }, { "atentamente", LANG_ES },
	{ "attached", LANG_EN }, { "au", LANG_FR }, { "auch", LANG_DE },
	{ "auf", LANG_DE }, { "aujourd", LANG_FR }, { "aussi", LANG_FR },
	{ "aux", LANG_FR }, { "avec", LANG_FR }, { "avez", LANG_FR },
	{ "avoir", LANG_FR }, { "avons", LANG_FR }, { "ayer", LANG_ES },
	{ "ayuda", LANG_ES }, { "been", LANG_EN }, { "bei", LANG_DE },
	{ "beim", LANG_DE }, { "being", LANG_EN }, { "benutzer", LANG_DE },
	{ "best", LANG_EN }, { "bien", LANG_FR }, { "bitte", LANG_DE },
	{ "bonjour", LANG_FR }, { "broken", LANG_EN }, { "buenas", LANG_ES },
	{ "buenos", LANG_ES }, { "but", LANG_EN }, { "by", LANG_EN },
	{ "can", LANG_EN }, { "ce", LANG_FR }, { "ces", LANG_FR },
	{ "cette", LANG_FR }, { "chez", LANG_FR }, { "comment", LANG_FR },
	{ "como", LANG_ES }, { "compte", LANG_FR }, { "con", LANG_ES },
	{ "contraseña", LANG_ES }, { "cordialement", LANG_FR },
	{ "correo", LANG_ES }, { "could", LANG_EN }, { "couldn", LANG_EN },
	{ "cuando", LANG_ES }, { "cuenta", LANG_ES }, { "cómo", LANG_ES },
	{ "damen", LANG_DE }, { "dank", LANG_DE }, { "danke", LANG_DE },
	{ "dans", LANG_FR }, { "das", LANG_DE }, { "dass", LANG_DE },
	{ "de", LANG_ES | LANG_FR }, { "dear", LANG_EN }, { "del", LANG_ES },
	{ "dem", LANG_DE }, { "den", LANG_DE }, { "depuis", LANG_FR },
	{ "der", LANG_DE }, { "des", LANG_DE | LANG_FR }, { "desde", LANG_ES },
	{ "dich", LANG_DE }, { "did", LANG_EN }, { "didn", LANG_EN },
	{ "die", LANG_DE }, { "dir", LANG_DE }, { "doch", LANG_DE },
	{ "does", LANG_EN }, { "doesn", LANG_EN }, { "don", LANG_EN },
	{ "down", LANG_EN }, { "dringend", LANG_DE }, { "du", LANG_FR },
	{ "días", LANG_ES }, { "ei", LANG_FI }, { "eikä", LANG_FI },
	{ "ein", LANG_DE }, { "eine", LANG_DE }, { "einem", LANG_DE },
	{ "einen", LANG_DE }, { "einer", LANG_DE }, { "el", LANG_ES },
	{ "elle", LANG_FR }, { "elles", LANG_FR }, { "emme", LANG_FI },
	{ "en", LANG_ES | LANG_FR | LANG_FI }, { "encore", LANG_FR },
	{ "enää", LANG_FI }, { "erreur", LANG_FR },
	{ "error", LANG_EN | LANG_ES }, { "es", LANG_DE | LANG_ES },
	{ "est", LANG_FR }, { "esta", LANG_ES }, { "estas", LANG_ES },
	{ "este", LANG_ES }, { "estimado", LANG_ES }, { "estimados", LANG_ES },
	{ "esto", LANG_ES }, { "estos", LANG_ES }, { "estoy", LANG_ES },
	{ "está", LANG_ES }, { "están", LANG_ES }, { "et", LANG_FR },
	{ "että", LANG_FI }, { "euch", LANG_DE }, { "factura", LANG_ES },
	{ "facture", LANG_FR }, { "fait", LANG_FR }, { "favor", LANG_ES },
	{ "fehler", LANG_DE }, { "fonctionne", LANG_FR }, { "for", LANG_EN },
	{ "frage", LANG_DE }, { "freundlichen", LANG_DE }, { "from", LANG_EN },
	{ "funciona", LANG_ES }, { "funktioniert", LANG_DE },
	{ "für", LANG_DE }, { "geehrte", LANG_DE }, { "geehrter", LANG_DE },
	{ "geht", LANG_DE }, { "gestern", LANG_DE }, { "get", LANG_EN },
	{ "gibt", LANG_DE }, { "got", LANG_EN }, { "gracias", LANG_ES },
	{ "gruß", LANG_DE }, { "grüße", LANG_DE }, { "grüßen", LANG_DE },
	{ "guten", LANG_DE }, { "ha", LANG_ES }, { "habe", LANG_DE },
	{ "haben", LANG_DE }, { "had", LANG_EN }, { "hallo", LANG_DE },
	{ "han", LANG_ES }, { "has", LANG_EN }, { "hasn", LANG_EN },
	{ "hat", LANG_DE }, { "have", LANG_EN }, { "haven", LANG_EN },
	{ "hay", LANG_ES }, { "hei", LANG_FI }, { "hello", LANG_EN },
	{ "help", LANG_EN }, { "hemos", LANG_ES }, { "here", LANG_EN },
	{ "herren", LANG_DE }, { "heute", LANG_DE }, { "hey", LANG_EN },
	{ "hi", LANG_EN }, { "hola", LANG_ES }, { "how", LANG_EN },
	{ "hoy", LANG_ES }, { "hui", LANG_FR }, { "huomenta", LANG_FI },
	{ "hyvä", LANG_FI }, { "hän", LANG_FI }, { "i", LANG_EN },
	{ "ich", LANG_DE }, { "if", LANG_EN }, { "ihnen", LANG_DE },
	{ "ihr", LANG_DE }, { "ihre", LANG_DE }, { "il", LANG_FR },
	{ "ils", LANG_FR }, { "im", LANG_DE }, { "immer", LANG_DE },
	{ "into", LANG_EN }, { "invoice", LANG_EN }, { "is", LANG_EN },
	{ "isn", LANG_EN }, { "issue", LANG_EN }, { "ist", LANG_DE },
	{ "it", LANG_EN }, { "its", LANG_EN }, { "ja", LANG_FI },
	{ "je", LANG_FR }, { "jetzt", LANG_DE }, { "jo", LANG_FI },
	{ "joka", LANG_FI }, { "jos", LANG_FI }, { "jotka", LANG_FI },
	{ "just", LANG_EN }, { "jälkeen", LANG_FI }, { "järjestelmä", LANG_FI },
	{ "kann", LANG_DE }, { "kanssa", LANG_FI }, { "kein", LANG_DE },
	{ "keine", LANG_DE }, { "keinen", LANG_DE },
	{ "kiireellinen", LANG_FI }, { "kiitoksia", LANG_FI },
	{ "kiitos", LANG_FI }, { "kind", LANG_EN }, { "know", LANG_EN },
	{ "konto", LANG_DE }, { "koska", LANG_FI }, { "kuin", LANG_FI },
	{ "kun", LANG_FI }, { "kyllä", LANG_FI }, { "kysymys", LANG_FI },
	{ "käyttäjä", LANG_FI }, { "können", LANG_DE }, { "könnten", LANG_DE },
	{ "la", LANG_ES | LANG_FR }, { "las", LANG_ES }, { "lasku", LANG_FI },
	{ "laskusta", LANG_FI }, { "le", LANG_FR }, { "leider", LANG_DE },
	{ "les", LANG_FR }, { "leur", LANG_FR }, { "leurs", LANG_FR },
	{ "lo", LANG_ES }, { "los", LANG_ES }, { "ma", LANG_FR },
	{ "madame", LANG_FR }, { "mais", LANG_FR }, { "marche", LANG_FR },
	{ "mehr", LANG_DE }, { "meidän", LANG_FI }, { "meillä", LANG_FI },
	{ "merci", LANG_FR }, { "mes", LANG_FR }, { "mfg", LANG_DE },
	{ "mi", LANG_ES }, { "mich", LANG_DE }, { "miksi", LANG_FI },
	{ "mikä", LANG_FI }, { "minulla", LANG_FI }, { "minun", LANG_FI },
	{ "minä", LANG_FI }, { "mir", LANG_DE }, { "mis", LANG_ES },
	{ "mit", LANG_DE }, { "miten", LANG_FI }, { "mitä", LANG_FI },
	{ "moi", LANG_FI }, { "mon", LANG_FR }, { "monsieur", LANG_FR },
	{ "morgen", LANG_DE }, { "mutta", LANG_FI }, { "muy", LANG_ES },
	{ "my", LANG_EN }, { "myös", LANG_FI }, { "más", LANG_ES },
	{ "même", LANG_FR }, { "nach", LANG_DE }, { "ne", LANG_FR },
	{ "need", LANG_EN }, { "nicht", LANG_DE }, { "niin", LANG_FI },
	{ "no", LANG_EN | LANG_ES }, { "noch", LANG_DE },
	{ "nos", LANG_ES | LANG_FR }, { "not", LANG_EN },
	{ "nothing", LANG_EN }, { "notre", LANG_FR }, { "nous", LANG_FR },
	{ "nuestra", LANG_ES }, { "nuestro", LANG_ES }, { "nur", LANG_DE },
	{ "nyt", LANG_FI }, { "ob", LANG_DE }, { "oder", LANG_DE },
	{ "of", LANG_EN }, { "ole", LANG_FI }, { "olemme", LANG_FI },
	{ "olen", LANG_FI }, { "olette", LANG_FI }, { "oli", LANG_FI },
	{ "olisi", LANG_FI }, { "on", LANG_EN | LANG_FR | LANG_FI },
	{ "ongelma", LANG_FI }, { "onko", LANG_FI }, { "or", LANG_EN },
	{ "ou", LANG_FR }, { "our", LANG_EN }, { "out", LANG_EN },
	{ "ovat", LANG_FI }, { "où", LANG_FR }, { "palvelin", LANG_FI },
	{ "par", LANG_FR }, { "para", LANG_ES }, { "pas", LANG_FR },
	{ "passe", LANG_FR }, { "password", LANG_EN }, { "passwort", LANG_DE },
	{ "pero", LANG_ES }, { "peux", LANG_FR }, { "pitäisi", LANG_FI },
	{ "please", LANG_EN }, { "plus", LANG_FR }, { "por", LANG_ES },
	{ "pour", LANG_FR }, { "pourriez", LANG_FR }, { "pouvez", LANG_FR },
	{ "pregunta", LANG_ES }, { "problem", LANG_EN | LANG_DE },
	{ "problema", LANG_ES }, { "problème", LANG_FR }, { "puede", LANG_ES },
	{ "pueden", LANG_ES }, { "puedo", LANG_ES }, { "päivää", LANG_FI },
	{ "quand", LANG_FR }, { "que", LANG_ES | LANG_FR },
	{ "quedo", LANG_ES }, { "question", LANG_EN }, { "qui", LANG_FR },
	{ "qué", LANG_ES }, { "rechnung", LANG_DE }, { "regards", LANG_EN },
	{ "responde", LANG_ES }, { "rikki", LANG_FI }, { "réponse", LANG_FR },
	{ "saada", LANG_FI }, { "salasana", LANG_FI }, { "saludos", LANG_ES },
	{ "salut", LANG_FR }, { "sans", LANG_FR }, { "schon", LANG_DE },
	{ "se", LANG_ES | LANG_FR | LANG_FI }, { "sehr", LANG_DE },
	{ "seit", LANG_DE }, { "sekä", LANG_FI }, { "serveur", LANG_FR },
	{ "servidor", LANG_ES }, { "should", LANG_EN },
	{ "si", LANG_ES | LANG_FR }, { "sich", LANG_DE }, { "sie", LANG_DE },
	{ "sin", LANG_ES }, { "since", LANG_EN }, { "sind", LANG_DE },
	{ "sitten", LANG_FI }, { "something", LANG_EN },
	{ "son", LANG_ES | LANG_FR }, { "sont", LANG_FR }, { "still", LANG_EN },
	{ "su", LANG_ES }, { "sur", LANG_FR }, { "sus", LANG_ES },
	{ "sí", LANG_ES }, { "tai", LANG_FI }, { "también", LANG_ES },
	{ "tardes", LANG_ES }, { "tarvitsen", LANG_FI }, { "tenemos", LANG_ES },
	{ "tengo", LANG_ES }, { "terveisin", LANG_FI }, { "than", LANG_EN },
	{ "thank", LANG_EN }, { "thanks", LANG_EN }, { "that", LANG_EN },
	{ "the", LANG_EN }, { "their", LANG_EN }, { "them", LANG_EN },
	{ "then", LANG_EN }, { "there", LANG_EN }, { "these", LANG_EN },
	{ "they", LANG_EN }, { "this", LANG_EN }, { "those", LANG_EN },
	{ "tiene", LANG_ES }, { "tilaus", LANG_FI }, { "tili", LANG_FI },
	{ "to", LANG_EN }, { "todo", LANG_ES }, { "toimi", LANG_FI },
	{ "toimii", LANG_FI }, { "toujours", LANG_FR }, { "tous", LANG_FR },
	{ "tout", LANG_FR }, { "tried", LANG_EN }, { "try", LANG_EN },
	{ "très", LANG_FR }, { "tu", LANG_ES | LANG_FR }, { "tämä", LANG_FI },
	{ "tämän", LANG_FI }, { "tässä", LANG_FI }, { "tästä", LANG_FI },
	{ "um", LANG_DE }, { "un", LANG_ES | LANG_FR }, { "una", LANG_ES },
	{ "und", LANG_DE }, { "une", LANG_FR }, { "uns", LANG_DE },
	{ "unser", LANG_DE }, { "unsere", LANG_DE }, { "unseren", LANG_DE },
	{ "up", LANG_EN }, { "urgent", LANG_EN | LANG_FR },
	{ "urgente", LANG_ES }, { "us", LANG_EN }, { "usted", LANG_ES },
	{ "ustedes", LANG_ES }, { "usuario", LANG_ES }, { "vain", LANG_FI },
	{ "vastaa", LANG_FI }, { "vielen", LANG_DE }, { "vielä", LANG_FI },
	{ "virhe", LANG_FI }, { "voi", LANG_FI }, { "voisitko", LANG_FI },
	{ "voisitteko", LANG_FI }, { "voitteko", LANG_FI }, { "vom", LANG_DE },
	{ "von", LANG_DE }, { "vos", LANG_FR }, { "votre", LANG_FR },
	{ "vous", LANG_FR }, { "was", LANG_EN | LANG_DE }, { "wasn", LANG_EN },
	{ "we", LANG_EN }, { "wenn", LANG_DE }, { "werden", LANG_DE },
	{ "were", LANG_EN }, { "what", LANG_EN }, { "when", LANG_EN },
	{ "where", LANG_EN }, { "which", LANG_EN }, { "who", LANG_EN },
	{ "why", LANG_EN }, { "wie", LANG_DE }, { "wieder", LANG_DE },
	{ "wir", LANG_DE }, { "wird", LANG_DE }, { "with", LANG_EN },
	{ "won", LANG_EN }, { "work", LANG_EN }, { "working", LANG_EN },
	{ "works", LANG_EN }, { "would", LANG_EN }, { "wouldn", LANG_EN },
	{ "wurde", LANG_DE }, { "wäre", LANG_DE }, { "würde", LANG_DE },
	{ "y", LANG_ES }, { "ya", LANG_ES }, { "yet", LANG_EN },
	{ "you", LANG_EN }, { "your", LANG_EN }, { "yours", LANG_EN },
	{ "ystävällisin", LANG_FI }, { "zu", LANG_DE }, { "zugang", LANG_DE },
	{ "zum", LANG_DE }, { "zur", LANG_DE }, { "ça", LANG_FR },
	{ "été", LANG_FR }, { "être", LANG_FR },
};

struct lang_count {
	int score[N_LATIN];
	size_t kana, han, latin, other;
	char word[LANG_MAX_WORD + 4];	/* the word being read, lowercase */
	size_t wlen;
	int wlong;			/* it was longer than LANG_MAX_WORD */
	char apos_word[8];		/* the word before an apostrophe … */
	int apos;			/* … when this word follows it directly */
};

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The seven languages ticketd speaks (templates, detection, contacts). */
static const char *const lang_list[] = { "en", "de", "es", "fr", "fi", "ja", "zh" };

int
lang_supported(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < N_ELEMS(lang_list); i++)
		if (strcmp(code, lang_list[i]) == 0)
			return 1;
	return 0;
}

const char *const *
lang_codes(size_t *n_r)
{
	*n_r = N_ELEMS(lang_list);
	return lang_list;
}

const char *
lang_canonical(const char *code)
{
	size_t i;

	for (i = 0; code != NULL && i < N_ELEMS(lang_list); i++)
		if (strcasecmp(code, lang_list[i]) == 0)
			return lang_list[i];
	return NULL;
}

int
lang_table_sorted(void)
{
	size_t i;

	for (i = 1; i < N_ELEMS(lang_words); i++)
		if (strcmp(lang_words[i - 1].word, lang_words[i].word) >= 0)
			return 0;
	return 1;
}

/* Open addressing over lang_words, a power of two at least twice its size. */
#define LANG_HASH_SLOTS 1024

static uint16_t lang_hash[LANG_HASH_SLOTS];   /* index + 1; 0: empty */
static pthread_once_t lang_hash_once = PTHREAD_ONCE_INIT;

static uint32_t
word_hash(const char *w, size_t len)
{
	uint32_t h = 2166136261u;    /* FNV-1a */
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)w[i]) * 16777619u;
	return h;
}

static void
lang_hash_build(void)
{
	size_t i;
	uint32_t h;

	for (i = 0; i < N_ELEMS(lang_words); i++) {
		h = word_hash(lang_words[i].word, strlen(lang_words[i].word)) & (LANG_HASH_SLOTS - 1);
		while (lang_hash[h] != 0)
			h = (h + 1) & (LANG_HASH_SLOTS - 1);
		lang_hash[h] = (uint16_t)(i + 1);
	}
}

/* The table entry for w (len bytes, NUL-terminated), or NULL. */
static const struct lang_word *
word_find(const char *w, size_t len)
{
	uint32_t h = word_hash(w, len) & (LANG_HASH_SLOTS - 1);
	const struct lang_word *e;

	while (lang_hash[h] != 0) {
		e = &lang_words[lang_hash[h] - 1];
		if (e->word[0] == w[0] && strcmp(e->word, w) == 0)
			return e;
		h = (h + 1) & (LANG_HASH_SLOTS - 1);
	}
	return NULL;
}

static int
is_kana(unsigned int cp)
{
	return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x31F0 && cp <= 0x31FF) ||
	       (cp >= 0xFF66 && cp <= 0xFF9F) || cp == 0x3005;
}

static int
is_han(unsigned int cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2A6DF);
}

static int
is_latin(unsigned int cp)
{
	return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) ||
	       (cp >= 0x1E00 && cp <= 0x1EFF);
}

/* Letters of scripts none of the seven languages uses. */
static int
is_other_letter(unsigned int cp)
{
	return (cp >= 0x370 && cp <= 0x52F) ||		/* Greek, Cyrillic */
	       (cp >= 0x590 && cp <= 0x6FF) ||		/* Hebrew, Arabic */
	       (cp >= 0x900 && cp <= 0xDFF) ||		/* Indic */
	       (cp >= 0xE00 && cp <= 0xE7F) ||		/* Thai */
	       (cp >= 0x1100 && cp <= 0x11FF) ||	/* Hangul */
	       (cp >= 0x3130 && cp <= 0x318F) ||
	       (cp >= 0xAC00 && cp <= 0xD7AF);
}

static unsigned int
to_lower(unsigned int cp)
{
	if ((cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7))
		return cp + 0x20;
	if (cp == 0x152)
		return 0x153;
	return cp;
}

static void
add(struct lang_count *c, int lang, int points)
{
	c->score[lang] += points;
}

/* Letters that mark a language. */
static void
score_letter(struct lang_count *c, unsigned int cp)
{
	switch (cp) {
	case 0xDF:			/* ß */
		add(c, DE, 3);
		break;
	case 0xFC:			/* ü */
		add(c, DE, 2);
		break;
	case 0xE4: case 0xF6:		/* ä ö */
		add(c, FI, 2);
		add(c, DE, 1);
		break;
	case 0xF1:			/* ñ */
		add(c, ES, 3);
		break;
	case 0xE1: case 0xED: case 0xF3: case 0xFA:	/* á í ó ú */
		add(c, ES, 2);
		break;
	case 0xE9:			/* é */
		add(c, FR, 2);
		add(c, ES, 1);
		break;
	case 0xE0: case 0xE2: case 0xE7: case 0xE8: case 0xEA: case 0xEB:
	case 0xEE: case 0xEF: case 0xF4: case 0xF9: case 0xFB: case 0x153:
		add(c, FR, 2);		/* à â ç è ê ë î ï ô ù û œ */
		break;
	default:
		break;
	}
}

/* An ending (bytes, so "ssä" is four) and what it scores. */
struct lang_ending {
	const char *s;
	unsigned char len;
	unsigned char lang;
	unsigned char points;
};

#define ENDING(s, lang, points) { s, sizeof(s) - 1, lang, points }

/* Scored for words of five bytes or more, each that matches. */
static const struct lang_ending endings5[] = {
	ENDING("ssä", FI, 2), ENDING("stä", FI, 2), ENDING("llä", FI, 2), ENDING("ltä", FI, 2),
	ENDING("ksi", FI, 2),
	ENDING("ssa", FI, 1), ENDING("sta", FI, 1), ENDING("lla", FI, 1), ENDING("lta", FI, 1),
	ENDING("tta", FI, 1), ENDING("ttä", FI, 1), ENDING("mme", FI, 1), ENDING("kaa", FI, 1),
	ENDING("kää", FI, 1),
	ENDING("ing", EN, 1),
};
/* … for six bytes or more. */
static const struct lang_ending endings6[] = {
	ENDING("ung", DE, 2), ENDING("keit", DE, 2), ENDING("heit", DE, 2), ENDING("lich", DE, 2),
};

static int
ends_in(const char *w, size_t len, const struct lang_ending *e)
{
	/* The last byte first: it rules out almost every ending at once. */
	return len >= e->len && w[len - 1] == e->s[e->len - 1] &&
		memcmp(w + len - e->len, e->s, e->len) == 0;
}

static int
ends_with(const char *w, size_t len, const char *suffix, size_t n)
{
	return len >= n && memcmp(w + len - n, suffix, n) == 0;
}

static void
score_endings(struct lang_count *c, const char *w, size_t len, const struct lang_ending *e,
	      size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ends_in(w, len, &e[i]))
			c->score[e[i].lang] += e[i].points;
}

/* "sch" anywhere in the word. */
static int
has_sch(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i + 2 < len; i++)
		if (w[i] == 's' && w[i + 1] == 'c' && w[i + 2] == 'h')
			return 1;
	return 0;
}

/* A French elision (l', qu') or an English contraction ('t, 's) just read. */
static void
score_apostrophe(struct lang_count *c, const char *w)
{
	static const char *const elided[] = {
		"c", "d", "j", "jusqu", "l", "lorsqu", "m", "n", "qu", "s",
	};
	static const char *const contracted[] = { "d", "ll", "m", "re", "s", "t", "ve" };
	size_t i;

	for (i = 0; i < N_ELEMS(elided); i++)
		if (strcmp(c->apos_word, elided[i]) == 0) {
			add(c, FR, 2);
			return;
		}
	for (i = 0; i < N_ELEMS(contracted); i++)
		if (strcmp(w, contracted[i]) == 0) {
			add(c, EN, 2);
			return;
		}
}

/* aa, ii, uu, yy, ää or öö: common in Finnish, rare elsewhere. */
static int
has_double_vowel(const char *w, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++) {
		if (w[i] == w[i + 1] && (w[i] == 'a' || w[i] == 'i' || w[i] == 'u' || w[i] == 'y'))
			return 1;
		/* ä is C3 A4, ö is C3 B6 */
		if (i + 3 < len && w[i] == '\xC3' && w[i + 2] == '\xC3' && w[i + 1] == w[i + 3] &&
		    (w[i + 1] == '\xA4' || w[i + 1] == '\xB6'))
			return 1;
	}
	return 0;
}

/* Common words and telling endings. */
static void
score_word(struct lang_count *c, const char *w, size_t len)
{
	const struct lang_word *hit;
	int lang, shared;

	hit = word_find(w, len);
	if (hit != NULL) {
		shared = (hit->langs & (hit->langs - 1)) != 0;
		for (lang = 0; lang < N_LATIN; lang++)
			if (hit->langs & (1u << lang))
				add(c, lang, shared ? 1 : LANG_WORD_SCORE);
	}
	if (len >= 5) {
		score_endings(c, w, len, endings5, N_ELEMS(endings5));
		if (has_double_vowel(w, len))
			add(c, FI, 1);
		if (ends_with(w, len, "eux", 3) || ends_with(w, len, "eau", 3) ||
		    ends_with(w, len, "aux", 3))
			add(c, FR, 1);
		if (ends_with(w, len, "ado", 3) || ends_with(w, len, "ido", 3))
			add(c, ES, 1);
	}
	if (len >= 6)
		score_endings(c, w, len, endings6, N_ELEMS(endings6));
	if (has_sch(w, len))
		add(c, DE, 1);
	if (len >= 3 && w[0] == 't' && w[1] == 'h')
		add(c, EN, 1);
}

/* The word being read ends; apostrophe: it ended with one. */
static void
word_end(struct lang_count *c, int apostrophe)
{
	if (c->wlen > 0 && !c->wlong) {
		c->word[c->wlen] = '\0';
		if (c->apos)
			score_apostrophe(c, c->word);
		score_word(c, c->word, c->wlen);
	}
	c->apos = 0;
	if (apostrophe && c->wlen > 0 && !c->wlong && c->wlen < sizeof(c->apos_word)) {
		memcpy(c->apos_word, c->word, c->wlen + 1);
		c->apos = 1;
	}
	c->wlen = 0;
	c->wlong = 0;
}

static void
word_add(struct lang_count *c, unsigned int cp)
{
	char *w = c->word + c->wlen;

	if (c->wlen + 2 > LANG_MAX_WORD) {
		c->wlong = 1;
		return;
	}
	if (cp < 0x80) {
		w[0] = (char)cp;
		c->wlen += 1;
	} else if (cp < 0x800) {
		c->wlen += utf8_encode(cp, w);
	} else {
		/* Latin Extended Additional: kept out of the words */
		c->wlong = 1;
	}
}

static void
feed(struct lang_count *c, unsigned int cp)
{
	int apostrophe = 0;

	if (is_latin(cp)) {
		c->latin++;
		cp = to_lower(cp);
		score_letter(c, cp);
		word_add(c, cp);
		return;
	}
	if (is_kana(cp))
		c->kana++;
	else if (is_han(cp))
		c->han++;
	else if (is_other_letter(cp))
		c->other++;
	else if (cp == 0xBF || cp == 0xA1)	/* ¿ ¡ */
		add(c, ES, 3);
	else if (cp == '\'' || cp == 0x2019)
		apostrophe = 1;
	word_end(c, apostrophe);
}

/* feed() for one printable ASCII byte: the same, without the code point tests. */
static void
feed_ascii(struct lang_count *c, unsigned char ch)
{
	unsigned char lower = ch | 0x20;

	if (lower >= 'a' && lower <= 'z') {
		c->latin++;
		if (c->wlen + 2 > LANG_MAX_WORD)
			c->wlong = 1;
		else
			c->word[c->wlen++] = (char)lower;
		return;
	}
	word_end(c, ch == '\'');
}

/* A run of ASCII that is an address or a link: not language. */
static int
is_address(const char *s, size_t len)
{
	size_t i;

	if (len >= 4 && memcmp(s, "www.", 4) == 0)
		return 1;
	for (i = 0; i < len; i++) {
		if (s[i] == '@')
			return 1;
		if (s[i] == ':' && i + 2 < len && s[i + 1] == '/' && s[i + 2] == '/')
			return 1;
	}
	return 0;
}

static int
is_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f' || ch == '\v';
}

/* Feed one line (without its end), about budget bytes of it; return the bytes read. */
static size_t
feed_line(struct lang_count *c, const char *s, size_t len, size_t budget)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, run, n, used = 0;
	unsigned int cp;

	while (i < len && is_space(u[i]))
		i++;
	if (i < len && u[i] == '>')
		return 0;
	while (i < len && used < budget) {
		if (u[i] > ' ' && u[i] < 0x80) {
			for (run = i; run < len && u[run] > ' ' && u[run] < 0x80; run++)
				;
			if (is_address(s + i, run - i)) {
				word_end(c, 0);
				i = run;
				continue;
			}
			used += run - i;
			for (; i < run; i++)
				feed_ascii(c, u[i]);
			continue;
		}
		n = utf8_decode(u + i, len - i, &cp, NULL);
		if (n == 0)
			n = 1;          /* a bad byte: one U+FFFD */
		feed(c, cp);
		i += n;
		used += n;
	}
	word_end(c, 0);
	return used;
}

static const char *
decide(const struct lang_count *c)
{
	size_t cjk = c->kana + c->han;
	int best = 0, second = -1, i;

	if (c->other * 2 > c->latin && c->other > cjk)
		return NULL;
	if (cjk >= 2 && cjk * 4 >= c->latin) {
		if (c->kana >= 2 && c->kana * 10 >= cjk)
			return "ja";
		if (c->han >= 2 && c->kana * 20 <= c->han)
			return "zh";
		return NULL;
	}
	for (i = 1; i < N_LATIN; i++) {
		if (c->score[i] > c->score[best]) {
			second = best;
			best = i;
		} else if (second < 0 || c->score[i] > c->score[second]) {
			second = i;
		}
	}
	if (c->score[best] < LANG_MIN_SCORE ||
	    c->score[best] - c->score[second] < LANG_MIN_LEAD ||
	    c->score[best] * 2 < c->score[second] * 3)
		return NULL;
	return latin_codes[best];
}

/* Is the answer certain already (LANG_SETTLED_SCORE)? */
static int
settled(const struct lang_count *c)
{
	int best = 0, second = 0, i;

	if (c->kana + c->han + c->other > 0)
		return 0;
	for (i = 0; i < N_LATIN; i++) {
		if (c->score[i] > best) {
			second = best;
			best = c->score[i];
		} else if (c->score[i] > second) {
			second = c->score[i];
		}
	}
	return best >= LANG_SETTLED_SCORE && best >= 3 * second;
}

const char *
lang_detect(const char *text)
{
	struct lang_count c;
	const char *p, *end, *nl;
	size_t used = 0;

	if (text == NULL)
		return NULL;
	pthread_once(&lang_hash_once, lang_hash_build);
	memset(&c, 0, sizeof(c));
	end = text + strnlen(text, LANG_SCAN_LIMIT);
	for (p = text; p < end && used < LANG_SCAN_BYTES; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		used += feed_line(&c, p, (size_t)(nl - p), LANG_SCAN_BYTES - used);
		if (used >= LANG_SETTLED_BYTES && settled(&c))
			break;
	}
	return decide(&c);
}
