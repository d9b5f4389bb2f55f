#!/usr/bin/env python3
"""Writes the personal-data test corpus of `tests/pii.rs`.

positives.tsv: a customer-feedback sentence with personal data, a tab, the sentence as it
must read once masked. lookalikes.txt: sentences full of numbers and words that are not
personal data, which must stay as they are.

The numbers are fake but valid in form: Ofcom's drama ranges (020 7946 0xxx, 07700 900xxx),
North American 555-01xx, the card networks' published test numbers and Luhn-valid numbers
with real scheme prefixes, IBANs from the registry's examples and random ones with a correct
mod-97 check, SSNs and National Insurance numbers in the issued ranges. Run it again with the
same seed to get the same files: `python3 generate.py`.
"""

import random
from pathlib import Path

rng = random.Random(20261130)
here = Path(__file__).parent


def d(n):
    return "".join(rng.choice("0123456789") for _ in range(n))


def pick(xs):
    return rng.choice(xs)


# --- phone numbers, by region, in the layouts people write them -------------------------------

def us():
    area = pick(["212", "415", "312", "617", "202", "303", "512", "646", "718", "416", "604", "514", "613"])
    line = "01" + d(2) if rng.random() < 0.6 else str(rng.randint(2000, 9999))
    exch = "555" if rng.random() < 0.7 else str(rng.randint(201, 989))
    return pick([
        f"({area}) {exch}-{line}", f"{area}-{exch}-{line}", f"{area}.{exch}.{line}",
        f"{area} {exch} {line}", f"{area}{exch}{line}", f"+1 {area} {exch} {line}",
        f"+1-{area}-{exch}-{line}", f"1-{area}-{exch}-{line}", f"+1 ({area}) {exch}-{line}",
        f"({area}){exch}-{line}", f"001 {area} {exch} {line}", f"+1{area}{exch}{line}",
    ])


def uk():
    london = "7946 0" + d(3)
    mobile = "900" + d(3)
    town = pick(["0161 496 0", "0113 496 0", "0117 496 0", "0121 496 0", "0131 496 0", "0141 496 0"]) + d(3)
    return pick([
        f"020 {london}", f"(020) {london}", f"020-{london.replace(' ', '-')}", f"07700 {mobile}",
        f"07700-{mobile}", f"07700{mobile}", f"+44 20 {london}", f"+44 (0)20 {london}",
        f"+44 7700 {mobile}", f"+447700{mobile}", f"0044 20 {london}", f"0044 7700 {mobile}",
        town, f"+44 (0)7700 {mobile}", f"07700 {mobile[:3]} {mobile[3:]}",
    ])


def ie():
    dublin = f"{rng.randint(200, 999)} {d(4)}"
    mob = pick(["083", "085", "086", "087", "089"])
    m = f"{rng.randint(100, 999)} {d(4)}"
    return pick([
        f"01 {dublin}", f"(01) {dublin}", f"{mob} {m}", f"{mob}-{m.replace(' ', '-')}",
        f"+353 1 {dublin}", f"+353 {mob[1:]} {m}", f"00353 {mob[1:]} {m}", f"{mob}{m.replace(' ', '')}",
    ])


def fr():
    pairs = lambda: " ".join(d(2) for _ in range(4))
    lead = pick(["01", "02", "03", "04", "05", "06", "07", "09"])
    p = pairs()
    return pick([
        f"{lead} {p}", f"{lead}.{p.replace(' ', '.')}", f"{lead}-{p.replace(' ', '-')}",
        f"{lead}{p.replace(' ', '')}", f"+33 {lead[1]} {p}", f"+33 (0){lead[1]} {p}",
        f"0033 {lead[1]} {p}", f"+33{lead[1]}{p.replace(' ', '')}",
    ])


def de():
    area, rest = pick([("030", 8), ("040", 8), ("089", 7), ("069", 8), ("0221", 7), ("0711", 7), ("0341", 7)])
    sub = str(rng.randint(2, 9)) + d(rest - 1)
    mob = pick(["0151", "0152", "0160", "0170", "0171", "0176", "0157"])
    msub = str(rng.randint(1, 9)) + d(7)
    return pick([
        f"{area} {sub}", f"{area}/{sub}", f"{area}/{sub[:4]}-{sub[4:]}", f"({area}) {sub[:4]} {sub[4:]}",
        f"{area}-{sub}", f"{mob} {msub}", f"{mob}-{msub}", f"{mob}/{msub}", f"+49 {area[1:]} {sub}",
        f"+49 (0){area[1:]} {sub}", f"0049 {mob[1:]} {msub}", f"+49 {mob[1:]} {msub}",
    ])


def es():
    fixed = pick(["91", "93", "95", "96", "94", "98"]) + str(rng.randint(1, 9)) + d(6)
    mob = pick(["6", "7"]) + (str(rng.randint(0, 9)) if True else "") + d(7)
    if mob.startswith("7"):
        mob = "7" + str(rng.randint(1, 4)) + mob[2:]
    n = pick([fixed, mob])
    return pick([
        f"{n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]} {n[3:5]} {n[5:7]} {n[7:]}", f"{n[:2]} {n[2:5]} {n[5:7]} {n[7:]}",
        f"+34 {n[:3]} {n[3:6]} {n[6:]}", f"0034 {n[:3]} {n[3:6]} {n[6:]}", f"{n[:3]}-{n[3:6]}-{n[6:]}",
        f"+34{n}",
    ])


def it():
    fixed = pick(["06", "02", "011", "055", "081"])
    fx = d(10 - len(fixed))
    fx = str(rng.randint(2, 9)) + fx[1:]
    mob = pick(["320", "328", "329", "330", "333", "335", "338", "339", "340", "345", "347", "348", "349",
                "350", "366", "370", "377", "380", "388", "389", "391", "392", "393"]) + d(7)
    return pick([
        f"{fixed} {fx[:4]} {fx[4:]}", f"{fixed}-{fx}", f"{fixed} {fx}", f"{mob[:3]} {mob[3:6]} {mob[6:]}",
        f"{mob[:3]}-{mob[3:]}", f"{mob[:3]} {mob[3:]}", f"+39 {fixed} {fx}", f"+39 {mob[:3]} {mob[3:6]} {mob[6:]}",
        f"0039 {mob[:3]} {mob[3:]}",
    ])


def nl():
    ams = f"{rng.randint(200, 999)} {d(4)}"
    mob = "6" + str(rng.randint(1, 5)) + d(7)
    return pick([
        f"020 {ams}", f"020-{ams.replace(' ', '')}", f"(020) {ams}", f"0{mob[:1]} {mob[1:]}", f"0{mob[:1]}-{mob[1:]}",
        f"+31 {mob[:1]} {mob[1:]}", f"+31 (0)20 {ams}", f"0031 {mob[:1]} {mob[1:]}", f"0{mob}",
    ])


def be():
    br = f"{rng.randint(100, 999)} {d(2)} {d(2)}"
    mob = pick(["0470", "0471", "0472", "0475", "0476", "0477", "0478", "0479", "0485", "0495"])
    m = f"{d(2)} {d(2)} {d(2)}"
    return pick([
        f"02 {br}", f"02/{br.replace(' ', '.')}", f"{mob} {m}", f"{mob}/{m.replace(' ', '.')}", f"+32 2 {br}",
        f"+32 {mob[1:]} {m}", f"0032 {mob[1:]} {m}", f"{mob}.{m.replace(' ', '.')}",
    ])


def au():
    area = pick(["02", "03", "07", "08"])
    land = str(rng.randint(4, 9)) + d(7)
    mob = "04" + d(8)
    return pick([
        f"({area}) {land[:4]} {land[4:]}", f"{area} {land[:4]} {land[4:]}", f"{mob[:4]} {mob[4:7]} {mob[7:]}",
        f"{mob[:4]}-{mob[4:7]}-{mob[7:]}", f"+61 {area[1]} {land[:4]} {land[4:]}", f"+61 {mob[1:4]} {mob[4:7]} {mob[7:]}",
        f"{mob}", f"0061 {mob[1:4]} {mob[4:7]} {mob[7:]}",
    ])


def india():
    mob = str(rng.randint(6, 9)) + d(9)
    return pick([
        f"{mob[:5]} {mob[5:]}", f"{mob[:5]}-{mob[5:]}", mob, f"+91 {mob[:5]} {mob[5:]}", f"+91-{mob}",
        f"0{mob[:5]} {mob[5:]}", f"+91 {mob}", f"011 {rng.randint(2, 4)}{d(3)} {d(4)}", f"0091 {mob[:5]} {mob[5:]}",
    ])


PHONES = [us, uk, ie, fr, de, es, it, nl, be, au, india]


def phone_with_extension():
    return pick([us, uk, de, fr])() + pick([" ext. 204", " ext 31", " x123", " extension 5", ", ext. 4412", " x7"])


PHONE_SENTENCES = [
    "Please call me back on {p}, I've been waiting three days.",
    "My new mobile is {p} - the one on file is wrong.",
    "You can reach me at {p} any time after 5pm.",
    "Ring {p} and ask for the claims team, they know my case.",
    "I called {p} four times and nobody picked up",
    "call me: {p}",
    "Best number is {p} (work) or text me.",
    "The technician should phone {p} before coming round.",
    "Contact number {p}. Thanks!",
    "Phone: {p}",
    "tel {p} / email below",
    "Whatsapp me on {p} please, I can't take calls at work",
    "Your agent left a voicemail from {p} but the line is dead.",
    "My wife's number is {p} in case I'm not in.",
    "Rappelez-moi au {p} s'il vous plaît.",
    "Bitte rufen Sie mich unter {p} zurück.",
    "Llámenme al {p}, gracias.",
    "Mi potete richiamare al {p}?",
    "Bel me terug op {p} aub.",
    "My daughter ({p}) handles my account now.",
    "Spoke to someone on {p} who promised a refund.",
    "I was given {p} as the escalation line and it goes to a fax.",
    "If the courier can't find us they should call {p}.",
    "Numbers I tried: {p} and {q}.",
    "Landline {p}, mobile {q}.",
    "Update my phone to {p}; the old one {q} is disconnected.",
    "text {p} when the parcel is ready",
    "I have been on hold at {p} for 45 minutes!!",
    "{p} is my direct line.",
    "please ring on {p} between 9 and 12",
]

EMAIL_SENTENCES = [
    "Send the invoice to {e} please.",
    "My email is {e}",
    "I never got the reset link at {e}.",
    "Contact me on {e} or by post.",
    "Please update my address to {e}; the old one bounces.",
    "{e} is the best way to reach me",
    "cc my partner at {e} on everything",
    "The confirmation went to {e} instead of my work address.",
    "Email: {e}",
    "Écrivez-moi à {e} merci",
]

CARD_SENTENCES = [
    "You charged my card {c} twice this month.",
    "Card number {c} was declined even though it has funds.",
    "Please refund to {c}.",
    "I paid with {c} and got no receipt.",
    "The app stored my old card {c}, remove it",
    "charged on card {c} for a cancelled order",
    "My Visa {c} expired, use the new one.",
    "cc: {c} exp 09/27",
]

IBAN_SENTENCES = [
    "Please pay the refund into {i}.",
    "My IBAN is {i}",
    "Bank details: {i}, account holder J. Smith.",
    "The direct debit should come from {i} from now on.",
    "Refund to IBAN {i} please",
    "Wrong account! Use {i}.",
]

SSN_SENTENCES = [
    "They asked for my SSN {s} over the phone, is that normal?",
    "SSN: {s}",
    "My social security number {s} is on the form, please delete it.",
    "I typed {s} into the wrong box on your website.",
    "social {s}",
]

NINO_SENTENCES = [
    "My National Insurance number is {n}.",
    "NI number {n} for the payroll form.",
    "NINO: {n}",
    "The letter quoted {n} which is not my NI number.",
    "ni no. {n}",
]


def email():
    first = pick(["jane", "ana", "li.wei", "renée", "jörg", "françois", "søren", "zoë", "tom_b", "m.o'brien",
                  "priya.k", "j.smith", "oğuz", "élodie.martin", "kwame", "user", "mike", "anna-lena"])
    tag = pick(["", "", "", "+orders", "+vip", "+2024", "-", "."]) if True else ""
    if tag in ("-", "."):
        first = first + tag + str(rng.randint(1, 99))
        tag = ""
    domain = pick(["example.com", "example.co.uk", "mail.example.org", "exemple.fr", "beispiel.de",
                   "bücher.example", "correo.example.es", "posta.example.it", "example.nl", "example.com.au",
                   "example.in", "sub.example.ie", "EXAMPLE.COM"])
    plain = f"{first}{tag}@{domain}"
    name, dom = first.replace("'", ""), domain.lower().split(".")
    spelled = pick([
        plain, plain, plain, plain, plain.upper() if first.isascii() else plain,
        f"{name} at {' dot '.join(dom)}", f"{name} [at] {' [dot] '.join(dom)}", f"{name}(at){'(dot)'.join(dom)}",
        f"{name} AT {' DOT '.join(x.upper() for x in dom)}", f"{name} (at) {'.'.join(dom)}",
        f"{name}[at]{'.'.join(dom)}", f"{name} {{at}} {' {dot} '.join(dom)}",
    ])
    return spelled


def luhn_complete(prefix, length):
    body = prefix + d(length - len(prefix) - 1)
    total = 0
    for i, ch in enumerate(reversed(body)):
        n = int(ch)
        if i % 2 == 0:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return body + str((10 - total % 10) % 10)


TEST_CARDS = ["4111111111111111", "4012888888881881", "4242424242424242", "5555555555554444",
              "5105105105105100", "2223003122003222", "378282246310005", "371449635398431",
              "6011111111111117", "6011000990139424", "30569309025904", "38520000023237",
              "3530111333300000", "3566002020360505", "6200000000000005", "4000056655665556",
              "5200828282828210", "4222222222222"]


def card():
    if rng.random() < 0.4:
        n = pick(TEST_CARDS)
    else:
        prefix, length = pick([("4", 16), ("51", 16), ("53", 16), ("55", 16), ("2221", 16), ("34", 15), ("37", 15),
                               ("6011", 16), ("65", 16), ("36", 14), ("3528", 16), ("62", 16), ("4", 13), ("4", 19)])
        n = luhn_complete(prefix + d(0), length)
    if len(n) == 15 and n[:2] in ("34", "37"):
        groups = [n[:4], n[4:10], n[10:]]
    elif len(n) == 14:
        groups = [n[:4], n[4:10], n[10:]]
    else:
        groups = [n[i:i + 4] for i in range(0, len(n), 4)]
    sep = pick([" ", "-", ".", "  ", "", " "])
    return sep.join(groups)


IBAN_EXAMPLES = ["GB82 WEST 1234 5698 7654 32", "DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606",
                 "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456", "NL91 ABNA 0417 1643 00",
                 "BE68 5390 0754 7034", "IE29 AIBK 9311 5212 3456 78", "AT61 1904 3002 3457 3201",
                 "CH93 0076 2011 6238 5295 7", "PL61 1090 1014 0000 0712 1981 2874", "PT50 0002 0123 1234 5678 9015 4",
                 "SE45 5000 0000 0583 9825 7466", "DK50 0040 0440 1162 43", "FI21 1234 5600 0007 85",
                 "NO93 8601 1117 947", "LU28 0019 4006 4475 0000"]


def iban_random():
    country, bban = pick([("GB", lambda: pick(["NWBK", "BARC", "HBUK", "LOYD"]) + d(14)), ("DE", lambda: d(18)),
                          ("FR", lambda: d(23)), ("ES", lambda: d(20)), ("NL", lambda: pick(["ABNA", "INGB", "RABO"]) + d(10)),
                          ("BE", lambda: d(12)), ("IE", lambda: pick(["AIBK", "BOFI"]) + d(14)), ("IT", lambda: "X" + d(22))])
    b = bban()
    digits = "".join(str(int(c, 36)) for c in b + country + "00")
    check = 98 - int(digits) % 97
    return f"{country}{check:02d}{b}"


def iban():
    raw = pick(IBAN_EXAMPLES) if rng.random() < 0.4 else iban_random()
    compact = raw.replace(" ", "")
    return pick([" ".join(compact[i:i + 4] for i in range(0, len(compact), 4)), compact])


def ssn():
    area = rng.choice([a for a in range(1, 900) if a != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def nino():
    first = pick("ABCEGHJKLMNOPRSTWXYZ")
    second = pick("ABCEGHJKLMNPRSTWXYZ")
    if first + second in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
        first, second = "A", "B"
    if rng.random() < 0.1:
        first, second = "Q", "Q"
    n = d(6)
    suffix = pick("ABCD")
    return pick([f"{first}{second} {n[:2]} {n[2:4]} {n[4:]} {suffix}", f"{first}{second}{n}{suffix}"])


def positives():
    rows = []

    def add(template, **values):
        text, masked = template, template
        for key, (value, token) in values.items():
            text = text.replace("{" + key + "}", value)
            masked = masked.replace("{" + key + "}", token)
        rows.append((text, masked))

    for region in PHONES:
        for _ in range(24):
            add(pick(PHONE_SENTENCES), p=(region(), "[phone]"), q=(pick(PHONES)(), "[phone]"))
    for _ in range(20):
        add(pick(PHONE_SENTENCES[:22]), p=(phone_with_extension(), "[phone]"), q=("", ""))
    for _ in range(70):
        add(pick(EMAIL_SENTENCES), e=(email(), "[email]"))
    for _ in range(50):
        add(pick(CARD_SENTENCES), c=(card(), "[card]"))
    for _ in range(35):
        add(pick(IBAN_SENTENCES), i=(iban(), "[iban]"))
    for _ in range(20):
        add(pick(SSN_SENTENCES), s=(ssn(), "[ssn]"))
    for _ in range(20):
        add(pick(NINO_SENTENCES), n=(nino(), "[national-id]"))
    for _ in range(25):
        add(pick([
            "Order 58213 never arrived; call {p} or mail {e}.",
            "Refund €49.99 to card {c}, questions to {p}.",
            "I'm {e}, phone {p}, and my order was placed on 12/05/2024.",
            "Bank {i}; contact {e}.",
            "On 2024-03-01 at 14:30 I rang {p} about flight BA 117.",
        ]), p=(pick(PHONES)(), "[phone]"), e=(email(), "[email]"), c=(card(), "[card]"), i=(iban(), "[iban]"))
    return rows


# --- look-alikes ----------------------------------------------------------------------------------

def lookalikes():
    month = lambda: rng.randint(1, 12)
    day = lambda: rng.randint(1, 28)
    year = lambda: rng.randint(2015, 2026)
    makers = [
        lambda: f"Order {rng.randint(10000, 99999999)} arrived damaged.",
        lambda: f"My order number is {rng.randint(1000000000, 9999999999)} and it is still not here.",
        lambda: f"order #{rng.randint(100000, 99999999)} was cancelled without notice",
        lambda: f"Invoice INV-{year()}{month():02d}{day():02d}-{d(4)} is wrong.",
        lambda: f"invoice no. {d(9)} charged twice",
        lambda: f"Ticket {rng.randint(100000, 9999999)} has been open for {rng.randint(2, 30)} days.",
        lambda: f"Case #{d(8)} - still waiting.",
        lambda: f"I paid €{rng.randint(1, 9)},{d(3)}.{d(2)} for a sofa that fell apart.",
        lambda: f"The bill says ${rng.randint(100, 999)},{d(3)}.{d(2)} which is absurd.",
        lambda: f"A fee of £{rng.randint(1, 99)}.{d(2)} appeared on {day():02d}/{month():02d}/{year()}.",
        lambda: f"They quoted {rng.randint(1, 9)} {d(3)},{d(2)} € for the repair.",
        lambda: f"Price went from {rng.randint(100, 999)}.{d(2)} to {rng.randint(100, 999)}.{d(2)} EUR overnight.",
        lambda: f"Delivered on {day():02d}/{month():02d}/{year()} instead of {day():02d}/{month():02d}/{year()}.",
        lambda: f"Appointment {year()}-{month():02d}-{day():02d} {rng.randint(8, 18)}:{pick(['00', '15', '30', '45'])} was missed.",
        lambda: f"Between {day():02d}.{month():02d}.{year()} and {day():02d}.{month():02d}.{year()} nothing happened.",
        lambda: f"Flight {pick(['UA', 'BA', 'LH', 'AF', 'KL', 'EI', 'QF', 'AI'])} {rng.randint(1, 9999)} was delayed {rng.randint(2, 9)} hours.",
        lambda: f"flight {pick(['BA', 'FR', 'U2', 'VY'])}{rng.randint(100, 9999)} on {day()}/{month()} left at {rng.randint(5, 23)}:{d(1)}0",
        lambda: f"Tracking 1Z{d(3)}AA1{d(7)}{d(1)}{d(3)} shows it in a depot.",
        lambda: f"Royal Mail tracking {pick(['AB', 'RR', 'JD', 'LX'])}{d(9)}GB never updated.",
        lambda: f"The parcel {d(4)} {d(4)} {d(4)} {d(4)} {d(4)} {d(2)} is lost.",
        lambda: f"DHL says waybill {d(10)} was delivered.",
        lambda: f"Log shows timestamp {rng.randint(1500000000000, 1799999999999)} for the failed payment.",
        lambda: f"event at {rng.randint(1500000000, 1799999999)} failed",
        lambda: f"ts={rng.randint(1500000000000000, 1799999999999999)} error",
        lambda: f"Postcode {pick(['SW1A 1AA', 'EC1A 1BB', 'M1 1AE', 'D02 X285', '75008', '10115', '28013', '00184', '1012 JS', '1000', '2000', '110001'])} is not in your list.",
        lambda: f"SKU {pick(['AB', 'XY', 'TR'])}-{d(5)}-{d(2)} is out of stock.",
        lambda: f"Product code {d(3)}-{d(3)}-{d(3)} does not match the box.",
        lambda: f"Barcode {pick(['4006381333931', '5901234123457', '9780201379624', '0012345678905', '8712345678906'])} scans as something else.",
        lambda: f"The model {pick(['KD-55X80J', 'WM14N201GB', 'S22 Ultra', 'XPS 13 9310', 'iPhone 15'])} keeps crashing.",
        lambda: f"Only {rng.randint(1, 99)}.{d(1)}% of calls answered in {year()}.",
        lambda: f"We have {rng.randint(2, 9)} 000 000 customers and you can't answer the phone?",
        lambda: f"Over {rng.randint(1, 9)} {d(3)} {d(3)} people signed the petition.",
        lambda: f"Version {rng.randint(1, 19)}.{rng.randint(0, 20)}.{rng.randint(0, 99)} broke the login.",
        lambda: f"Windows build 10.0.{d(5)} crashes with your driver.",
        lambda: f"The router at {pick(['192.168.0.1', '192.168.1.254', '10.0.0.138', '172.16.254.1'])} keeps dropping.",
        lambda: f"ISBN {pick(['978-3-16-148410-0', '0-306-40615-2', '978-0-596-52068-7', '978 1 4028 9462 6'])} was out of print.",
        lambda: f"Card ending {d(4)} was charged, see XXXX XXXX XXXX {d(4)}.",
        lambda: f"Reference {pick(['REF', 'ABC', 'TX'])}{d(8)} on the statement.",
        lambda: f"Booking reference {pick(['K7Q2LM', 'ZX81PQ', 'H4N9TT'])}, seat {rng.randint(1, 40)}{pick('ABCDEF')}.",
        lambda: f"Room {rng.randint(100, 1299)}, {rng.randint(2, 5)} nights, {rng.randint(1, 4)} guests.",
        lambda: f"I waited {rng.randint(10, 59)} minutes at {rng.randint(1, 12)}.{pick(['15', '30', '45'])}pm and {rng.randint(1, 12)}:{pick(['05', '20', '50'])} am.",
        lambda: f"From {year()}-{year()} we paid {rng.randint(1000, 9999)} a year.",
        lambda: f"Meter reading {d(5)} {d(3)} on {day():02d}-{month():02d}-{year()}.",
        lambda: f"GPS {rng.randint(40, 59)}.{d(4)}, -{rng.randint(0, 9)}.{d(4)} is the right drop-off.",
        lambda: f"Sort code {d(2)}-{d(2)}-{d(2)} matches my bank.",
        lambda: f"Policy {pick(['POL', 'HH', 'MTR'])}-{d(7)} renewal went up {rng.randint(10, 90)}%.",
        lambda: f"policy number {d(10)} not recognised",
        lambda: f"Claim {d(9)} was rejected after {rng.randint(3, 12)} weeks.",
        lambda: f"Account XXXX-XXXX-{d(4)} was closed on XX/XX/{year()}.",
        lambda: f"The {rng.randint(2, 9)}x{rng.randint(2, 9)}m rug cost {rng.randint(100, 999)} euros.",
        lambda: f"Error code 0x{d(8)} on startup.",
        lambda: f"I bought it at amazon.com and met the driver at the depot at {rng.randint(1, 12)}pm.",
        lambda: f"Look at this: {rng.randint(2, 9)} out of {rng.randint(10, 20)} items were broken.",
        lambda: f"Your site at www.example.com/help/{d(6)} is down.",
        lambda: f"{rng.randint(1, 31)} {pick(['January', 'March', 'May', 'July'])} {year()}, {rng.randint(1, 12)}:{d(1)}0, terminal {rng.randint(1, 5)}.",
        lambda: f"Transaction {d(12)} failed twice.",
        lambda: f"@{pick(['united', 'AmericanAir', 'BritishAirways'])} flight {rng.randint(100, 999)} is a joke, {rng.randint(3, 9)}h late",
        lambda: f"Temperatures of {rng.randint(20, 40)}.{d(1)} C in the {rng.randint(2, 9)}.{d(1)} m2 cabin.",
        lambda: f"Serial number {pick(['SN', 'C02'])}{d(8)} is under warranty.",
        lambda: f"{rng.randint(1, 9)},{d(3)},{d(3)} points expired on {month()}/{day()}/{year()}.",
    ]
    return [pick(makers)() for _ in range(360)]


def main():
    rows = positives()
    with open(here / "positives.tsv", "w", encoding="utf-8") as out:
        for text, masked in rows:
            out.write(f"{text}\t{masked}\n")
    with open(here / "lookalikes.txt", "w", encoding="utf-8") as out:
        for line in lookalikes():
            out.write(line + "\n")
    print(f"{len(rows)} positives, 360 look-alikes")


if __name__ == "__main__":
    main()
