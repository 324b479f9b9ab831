"""Period columns, unit scale and currency from the printed header text."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|" \
         r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
_FULL_DATE = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}}),?\s*((?:19|20)\d\d)\b", re.I)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})\s+({_MONTH}),?\s*((?:19|20)\d\d)\b", re.I)
_ISO_DATE = re.compile(r"\b((?:19|20)\d\d)-(\d\d)-(\d\d)\b")
_DOTTED_DATE = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./]((?:19|20)\d\d)\b")
"""31.12.2024 (day first, as European reports print it)."""
_MONTH_DAY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})\b(?!,?\s*(?:19|20)\d\d)", re.I)
_ANY_MONTH_DAY = re.compile(rf"\b({_MONTH})\s+(\d{{1,2}})\b", re.I)
_YEAR = re.compile(r"(?<![\d,.$])(?:FY\s?|fiscal\s)?((?:19|20)\d\d)(?![\d,])", re.I)
_DURATION = re.compile(r"\b(three|six|nine|twelve|3|6|9|12|thirteen|twenty-six|thirty-nine|fifty-two|fifty-three)"
                       r"[\s-]+(months|weeks)\b|\b(years?|fiscal years?) ended|\bquarter ended|\bannual\b", re.I)
_WORDS = {"three": 3, "six": 6, "nine": 9, "twelve": 12, "3": 3, "6": 6, "9": 9, "12": 12}
_WEEKS = {"thirteen": 3, "twenty-six": 6, "thirty-nine": 9, "fifty-two": 12, "fifty-three": 12}
_SCALES = (("trillion", 10**12), ("billion", 10**9), ("million", 10**6), ("thousand", 10**3),
           ("crore", 10**7), ("lakh", 10**5), ("lac", 10**5))
_UNIT = re.compile(r"\(?[^()\n]{0,40}\b(?:in|amounts? in|expressed in|figures in)\b[^()\n]{0,20}\b"
                   r"(thousands?|millions?|billions?|trillions?|crores?|lakhs?|000s|'000)\b[^()\n]{0,80}\)?", re.I)
_CURRENCIES = (("USD", re.compile(r"US\$|U\.S\. dollars|\bUSD\b|\$", re.I)),
               ("EUR", re.compile(r"€|\bEUR\b|\beuros?\b", re.I)), ("GBP", re.compile(r"£|\bGBP\b|sterling", re.I)),
               ("INR", re.compile(r"₹|\bINR\b|\brupees?\b|\bcrores?\b", re.I)),
               ("JPY", re.compile(r"¥|\bJPY\b|\byen\b", re.I)), ("MXN", re.compile(r"\bMXN\b|pesos", re.I)),
               ("KRW", re.compile(r"\bKRW\b|₩|\bwon\b", re.I)), ("CHF", re.compile(r"\bCHF\b", re.I)),
               ("CAD", re.compile(r"\bCAD\b|C\$", re.I)))


@dataclass(frozen=True)
class Period:
    header: str
    end_date: str
    fiscal_year: int
    duration_months: int


@dataclass(frozen=True)
class Unit:
    scale: int
    text: str
    per_share_own_scale: bool
    shares_own_scale: bool


_SHORT_UNIT = re.compile(r"(?:[$€£¥₹]|\b(?:EUR|GBP|USD|CHF|T)\s?)\s?(m|mn|bn|k|000|'000|million|thousand)\b|"
                         r"\bTEUR\b|\bTUSD\b|\bMio\.?\s?(?:EUR|€)", re.I)
_SHORT_SCALES = {"m": 10**6, "mn": 10**6, "million": 10**6, "bn": 10**9, "k": 10**3, "000": 10**3, "'000": 10**3,
                 "thousand": 10**3}


def unit(lines: list[str]) -> Unit:
    """The unit statement ("in thousands, except per share data", "€m", "TEUR") nearest the table."""
    stated = _stated_unit(lines)
    if stated.scale != 1:
        return stated
    for line in reversed(lines):
        match = _SHORT_UNIT.search(line)
        if match:
            word = (match.group(1) or "").lower()
            scale = _SHORT_SCALES.get(word, 10**6 if "mio" in match.group(0).lower() else 10**3)
            return Unit(scale=scale, text=match.group(0).strip(), per_share_own_scale=True, shares_own_scale=True)
    return stated


def _stated_unit(lines: list[str]) -> Unit:
    for line in reversed(lines):
        match = _UNIT.search(line)
        if match:
            text = " ".join(match.group(0).split())
            word = match.group(1).lower()
            scale = 1000 if word in {"000s", "'000"} else next(v for k, v in _SCALES if word.startswith(k))
            lowered = text.lower()
            except_part = lowered.split("except", 1)[1] if "except" in lowered else ""
            return Unit(scale=scale, text=text, per_share_own_scale=True,
                        shares_own_scale="share" in except_part and ("shares" in except_part
                                                                     or "share data" in except_part
                                                                     or ("share amounts" in except_part
                                                                         and "per share amounts" not in except_part)))
    return Unit(scale=1, text="", per_share_own_scale=True, shares_own_scale=True)


def currency(lines: list[str]) -> str:
    text = " ".join(lines)
    for code, pattern in _CURRENCIES:
        if pattern.search(text):
            return code
    return ""


def _iso(year: int, month: int, day: int) -> str:
    try:
        return f"{year:04d}-{month:02d}-{min(day, calendar.monthrange(year, month)[1]):02d}"
    except (ValueError, calendar.IllegalMonthError):
        return ""


def _month(name: str) -> int:
    return _MONTHS.get(name.lower().rstrip("."), 0) or _MONTHS.get(name.lower()[:3], 0)


def _durations(text: str) -> list[int]:
    out = []
    for match in _DURATION.finditer(text):
        if match.group(1):
            word = match.group(1).lower()
            out.append(_WEEKS.get(word, 0) if match.group(2).lower() == "weeks" else _WORDS.get(word, 0))
        elif match.group(3):
            out.append(12)
        else:
            out.append(3 if "quarter" in match.group(0).lower() else 12)
    return out


def periods(header: list[str], count: int, point_in_time: bool) -> list[Period]:
    """``count`` periods from the header text, in column order; blanks when the header says too little."""
    text = " ".join(" ".join(header).split())
    dates = [(_iso(int(y), _month(m), int(d)), f"{m} {d}, {y}") for m, d, y in _FULL_DATE.findall(text)]
    dates += [(_iso(int(y), _month(m), int(d)), f"{d} {m} {y}") for d, m, y in _DAY_MONTH_YEAR.findall(text)]
    dates += [(f"{y}-{m}-{d}", f"{y}-{m}-{d}") for y, m, d in _ISO_DATE.findall(text)]
    dates += [(_iso(int(y), int(m), int(d)) if 1 <= int(m) <= 12 else "", f"{d}.{m}.{y}")
              for d, m, y in _DOTTED_DATE.findall(text)]
    stripped = _DOTTED_DATE.sub(" ", _ISO_DATE.sub(" ", _DAY_MONTH_YEAR.sub(" ", _FULL_DATE.sub(" ", text))))
    years = [int(y) for y in _YEAR.findall(stripped)]
    month_days = [(_month(m), int(d)) for m, d in _MONTH_DAY.findall(stripped)]
    durations = [] if point_in_time else [d for d in _durations(text) if d]
    result: list[Period] = []
    if len(dates) >= count and count:
        chosen = dates[-count:] if len(dates) > count else dates
        for i, (iso, printed) in enumerate(chosen):
            result.append(Period(printed, iso, int(iso[:4]) if iso else 0, _pick(durations, i, count)))
        return result
    if len(years) < count:
        years = [int(y) for y in _YEAR.findall(_ISO_DATE.sub(" ", text))]
        month_days = [(_month(m), int(d)) for m, d in _ANY_MONTH_DAY.findall(text)]
    if len(years) >= count and count:
        chosen_years = years[-count:]
        for i, year in enumerate(chosen_years):
            md = _pick_md(month_days, i, count)
            iso = _iso(year, md[0], md[1]) if md else ""
            printed = f"{calendar.month_name[md[0]]} {md[1]}, {year}" if md else str(year)
            result.append(Period(printed, iso, year, _pick(durations, i, count)))
        return result
    return [Period("", "", 0, _pick(durations, i, count)) for i in range(count)]


def column_periods(column_headers: list[str], header: list[str], point_in_time: bool) -> list[Period]:
    """Periods read from each column's own header where every column names its year; else from the whole header."""
    count = len(column_headers)
    whole = periods(header, count, point_in_time)
    own = [periods([re.sub(r"\([^)]*\)", " ", text)], 1, point_in_time)[0] if text else None
           for text in column_headers]
    if count == 0 or any(p is None or not p.fiscal_year for p in own):
        if all(text for text in column_headers) and not any(p and p.fiscal_year for p in own):
            # columns named by component (changes in equity): keep their names as headers
            return [Period(text, w.end_date, w.fiscal_year, w.duration_months)
                    for text, w in zip(column_headers, whole, strict=True)]
        return whole
    out = []
    for printed, mine, fallback in zip(column_headers, own, whole, strict=True):
        assert mine is not None
        end = mine.end_date
        if not end and fallback.fiscal_year == mine.fiscal_year:
            end = fallback.end_date
        out.append(Period(printed, end, mine.fiscal_year, mine.duration_months or fallback.duration_months))
    return out


def _pick(durations: list[int], index: int, count: int) -> int:
    if not durations:
        return 0
    if len(durations) == count:
        return durations[index]
    group = count // len(durations) if count % len(durations) == 0 else 0
    return durations[index // group] if group else durations[0] if len(set(durations)) == 1 else 0


def _pick_md(month_days: list[tuple[int, int]], index: int, count: int) -> tuple[int, int] | None:
    valid = [md for md in month_days if md[0]]
    if not valid:
        return None
    if len(valid) == count:
        return valid[index]
    group = count // len(valid) if count % len(valid) == 0 else 0
    return valid[index // group] if group else valid[0] if len(set(valid)) == 1 else None
