#!/usr/bin/python3
"""contrib/holidays.py: the holiday lists of conf/holidays/, computed.

    contrib/holidays.py REGION YEAR...   the year blocks of REGION's file
                                         (AMER, EMEA or APAC), as in
                                         conf/holidays/REGION.txt

Prints, for each YEAR, a "# YEAR" header line (EMEA: with its Easter
date) and one "YYYY-MM-DD name" line per holiday, a blank line between
years.  To extend a list, append the new years' blocks to its file (the
header comments of each file say which rules it follows); t6002-holidays
checks that the files hold exactly what this computes.

  AMER  United States federal holidays (5 U.S.C. 6103) as OPM observes
        them: Saturday -> the Friday before, Sunday -> the Monday after
        (New Year's Day on a Saturday is observed on December 31 of the
        year before, and listed in that year).
  EMEA  Finland's public holidays, Midsummer Eve and Christmas Eve as
        customary days off.  Easter by the Gregorian computus.
  APAC  Japan's national holidays (Act on National Holidays as amended
        to 2020), substitute holidays (Art. 3(2)) and citizens' holidays
        (Art. 3(3)).  The equinox days are the Japan Standard Time dates
        of the equinoxes, computed with Meeus' algorithm (Astronomical
        Algorithms, 2nd ed., ch. 27: mean equinox, then the 24 periodic
        terms of table 27.C), which is accurate to a minute or so; the
        official dates are announced each February for the year after
        and follow the same astronomy.

Standard library only.
"""
import datetime
import math
import sys

ONE_DAY = datetime.timedelta(days=1)
WEEKDAYS = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday')
MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
          'September', 'October', 'November', 'December')


def nth_weekday(year, month, weekday, n):
    """The n-th weekday (0 Monday) of the month; n = -1: the last."""
    if n > 0:
        d = datetime.date(year, month, 1)
        d += datetime.timedelta(days=(weekday - d.weekday()) % 7)
        return d + datetime.timedelta(weeks=n - 1)
    d = datetime.date(year + (month == 12), month % 12 + 1, 1) - ONE_DAY
    return d - datetime.timedelta(days=(d.weekday() - weekday) % 7)


def easter(year):
    """Gregorian Easter Sunday (the anonymous algorithm, Meeus ch. 8)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l) // 451
    month, day = divmod(h + l - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


# ---- AMER ------------------------------------------------------------------

def us_holidays(year):
    """(date, name) of the holidays in themselves, before observance."""
    return [
        (datetime.date(year, 1, 1), "New Year's Day"),
        (nth_weekday(year, 1, 0, 3), 'Birthday of Martin Luther King, Jr.'),
        (nth_weekday(year, 2, 0, 3), "Washington's Birthday"),
        (nth_weekday(year, 5, 0, -1), 'Memorial Day'),
        (datetime.date(year, 6, 19), 'Juneteenth National Independence Day'),
        (datetime.date(year, 7, 4), 'Independence Day'),
        (nth_weekday(year, 9, 0, 1), 'Labor Day'),
        (nth_weekday(year, 10, 0, 2), 'Columbus Day'),
        (datetime.date(year, 11, 11), 'Veterans Day'),
        (nth_weekday(year, 11, 3, 4), 'Thanksgiving Day'),
        (datetime.date(year, 12, 25), 'Christmas Day'),
    ]


def observed(day, name, year_named=False):
    weekday = day.weekday()
    if weekday < 5:
        return day, name
    when = '%s %d%s' % (MONTHS[day.month - 1], day.day, ', %d' % day.year if year_named else '')
    shown = '%s %d' % (name, day.year) if year_named else name
    moved = day - ONE_DAY if weekday == 5 else day + ONE_DAY
    return moved, '%s (observed; %s is a %s)' % (shown, when, WEEKDAYS[weekday])


def amer(year):
    out = []
    for day, name in us_holidays(year):
        moved, text = observed(day, name)
        if moved.year == year:
            out.append((moved, text))
    # Next year's New Year's Day on a Saturday is observed on December 31.
    moved, text = observed(datetime.date(year + 1, 1, 1), "New Year's Day", year_named=True)
    if moved.year == year:
        out.append((moved, text))
    header = '# %d' % year
    if datetime.date(year, 1, 1).weekday() == 5:
        header += " (New Year's Day, a Saturday, is observed on December 31, %d)" % (year - 1)
    return header, sorted(out)


# ---- EMEA ------------------------------------------------------------------

def saturday_between(year, month, day):
    """The Saturday in the seven days from month/day."""
    d = datetime.date(year, month, day)
    return d + datetime.timedelta(days=(5 - d.weekday()) % 7)


def emea(year):
    e = easter(year)
    midsummer = saturday_between(year, 6, 20)
    out = [
        (datetime.date(year, 1, 1), "New Year's Day (uudenvuodenpäivä)"),
        (datetime.date(year, 1, 6), 'Epiphany (loppiainen)'),
        (e - 2 * ONE_DAY, 'Good Friday (pitkäperjantai)'),
        (e, 'Easter Sunday (pääsiäispäivä)'),
        (e + ONE_DAY, 'Easter Monday (2. pääsiäispäivä)'),
        (datetime.date(year, 5, 1), 'May Day (vappu)'),
        (e + 39 * ONE_DAY, 'Ascension Day (helatorstai)'),
        (e + 49 * ONE_DAY, 'Whit Sunday (helluntaipäivä)'),
        (midsummer - ONE_DAY, 'Midsummer Eve (juhannusaatto; customary day off)'),
        (midsummer, 'Midsummer Day (juhannuspäivä)'),
        (saturday_between(year, 10, 31), "All Saints' Day (pyhäinpäivä)"),
        (datetime.date(year, 12, 6), 'Independence Day (itsenäisyyspäivä)'),
        (datetime.date(year, 12, 24), 'Christmas Eve (jouluaatto; customary day off)'),
        (datetime.date(year, 12, 25), 'Christmas Day (joulupäivä)'),
        (datetime.date(year, 12, 26), "St. Stephen's Day (tapaninpäivä)"),
    ]
    header = '# %d (Easter Sunday is %s %d)' % (year, MONTHS[e.month - 1], e.day)
    return header, sorted(out)


# ---- APAC ------------------------------------------------------------------

# Meeus table 27.C: A, B (degrees), C (degrees per Julian century).
PERIODIC = (
    (485, 324.96, 1934.136), (203, 337.23, 32964.467), (199, 342.08, 20.186),
    (182, 27.85, 445267.112), (156, 73.14, 45036.886), (136, 171.52, 22518.443),
    (77, 222.54, 65928.934), (74, 296.72, 3034.906), (70, 243.58, 9037.513),
    (58, 119.81, 33718.147), (52, 297.17, 150.678), (50, 21.02, 2281.226),
    (45, 247.54, 29929.562), (44, 325.15, 31555.956), (29, 60.93, 4443.417),
    (18, 155.12, 67555.328), (17, 288.79, 4562.452), (16, 198.04, 62894.029),
    (14, 199.76, 31436.921), (12, 95.39, 14577.848), (12, 287.11, 31931.756),
    (12, 320.81, 34777.259), (9, 227.73, 1222.114), (8, 15.45, 16859.074),
)


def equinox_jde(year, march):
    """JDE (TT) of the March or September equinox, years 2000-3000 (Meeus 27.2)."""
    y = (year - 2000) / 1000
    if march:
        jde0 = 2451623.80984 + 365242.37404 * y + 0.05169 * y ** 2 - 0.00411 * y ** 3 - 0.00057 * y ** 4
    else:
        jde0 = 2451810.21715 + 365242.01767 * y - 0.11575 * y ** 2 + 0.00337 * y ** 3 + 0.00078 * y ** 4
    t = (jde0 - 2451545.0) / 36525
    w = math.radians(35999.373 * t - 2.47)
    dl = 1 + 0.0334 * math.cos(w) + 0.0007 * math.cos(2 * w)
    s = sum(a * math.cos(math.radians(b + c * t)) for a, b, c in PERIODIC)
    return jde0 + 0.00001 * s / dl


def equinox_jst(year, march):
    """The Japan Standard Time date of the equinox."""
    delta_t = 69.2 / 86400       # TT - UT, seconds (about 69 s in the 2020s)
    jd_ut = equinox_jde(year, march) - delta_t
    when = datetime.datetime(2000, 1, 1, 12) + datetime.timedelta(days=jd_ut - 2451545.0)
    return (when + datetime.timedelta(hours=9)).date()


def jp_national(year):
    """The national holidays proper (国民の祝日), as (date, name)."""
    return [
        (datetime.date(year, 1, 1), "New Year's Day (元日)"),
        (nth_weekday(year, 1, 0, 2), 'Coming of Age Day (成人の日)'),
        (datetime.date(year, 2, 11), 'National Foundation Day (建国記念の日)'),
        (datetime.date(year, 2, 23), "The Emperor's Birthday (天皇誕生日)"),
        (equinox_jst(year, True), 'Vernal Equinox Day (春分の日)'),
        (datetime.date(year, 4, 29), 'Showa Day (昭和の日)'),
        (datetime.date(year, 5, 3), 'Constitution Memorial Day (憲法記念日)'),
        (datetime.date(year, 5, 4), 'Greenery Day (みどりの日)'),
        (datetime.date(year, 5, 5), "Children's Day (こどもの日)"),
        (nth_weekday(year, 7, 0, 3), 'Marine Day (海の日)'),
        (datetime.date(year, 8, 11), 'Mountain Day (山の日)'),
        (nth_weekday(year, 9, 0, 3), 'Respect for the Aged Day (敬老の日)'),
        (equinox_jst(year, False), 'Autumnal Equinox Day (秋分の日)'),
        (nth_weekday(year, 10, 0, 2), 'Sports Day (スポーツの日)'),
        (datetime.date(year, 11, 3), 'Culture Day (文化の日)'),
        (datetime.date(year, 11, 23), 'Labour Thanksgiving Day (勤労感謝の日)'),
    ]


def apac(year):
    national = dict(jp_national(year))
    out = dict(national)
    # Art. 3(2): a national holiday on a Sunday makes the next day that is
    # not a national holiday a holiday.
    for day, name in sorted(national.items()):
        if day.weekday() == 6:
            sub = day + ONE_DAY
            while sub in national:
                sub += ONE_DAY
            out[sub] = 'Substitute holiday for %s (振替休日)' % name.split(' (')[0]
    # Art. 3(3): a day between two national holidays is a holiday.
    for day in sorted(national):
        between = day + ONE_DAY
        if between not in out and between + ONE_DAY in national:
            out[between] = "Citizens' Holiday (国民の休日)"
    return '# %d' % year, sorted(out.items())


REGIONS = {'AMER': amer, 'EMEA': emea, 'APAC': apac}


def main():
    if len(sys.argv) < 3 or sys.argv[1] not in REGIONS:
        sys.stderr.write('usage: contrib/holidays.py AMER|EMEA|APAC YEAR...\n')
        return 2
    blocks = []
    for year in sys.argv[2:]:
        header, days = REGIONS[sys.argv[1]](int(year))
        blocks.append('\n'.join([header] + ['%s %s' % (d.isoformat(), n) for d, n in days]))
    print('\n\n'.join(blocks))
    return 0


if __name__ == '__main__':
    sys.exit(main())
