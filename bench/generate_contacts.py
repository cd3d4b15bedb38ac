"""Generate a realistic contacts CSV for the import benchmark (deterministic for a seed).

    python bench/generate_contacts.py OUT.csv --rows 1000000 [--seed 7]

Layout like a CRM export: Email, names, Job Title, Company, Website, two phones in mixed
US/international formats, LinkedIn URL, location, seniority, department, and two
unmapped columns (kept as custom fields). About 2% of rows are bad (no email, an
invalid address, an over-long value, extra non-empty cells), about 1% carry a phone
that does not parse (a warning), and about 3% repeat an earlier email with changes
(file-order updates).
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import unicodedata
from pathlib import Path

FIRST = (  # noqa: SIM905 - a word list reads better as text
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
    "Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
    "Mark Margaret Donald Ashley Steven Kimberly Andrew Emily Paul Donna Joshua Michelle Kenneth Carol "
    "Kevin Amanda Brian Melissa George Deborah Timothy Stephanie Ronald Rebecca Jason Laura Edward Helen "
    "Jeffrey Sharon Ryan Cynthia Jacob Kathleen Gary Amy Nicholas Angela Eric Shirley Jonathan Anna "
    "Stephen Brenda Larry Pamela Justin Emma Scott Nicole Brandon Samantha Benjamin Katherine Samuel "
    "Christine Gregory Debra Alexander Rachel Patrick Carolyn Frank Janet Raymond Maria Jack Olivia Dennis "
    "Heather Jerry Catherine Tyler Diane Aaron Julie José Zoë Björn François Søren Ana-María Chloé Jürgen"
).split()
LAST = (  # noqa: SIM905
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
    "Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark "
    "Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams "
    "Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker "
    "Cruz Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper "
    "Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James "
    "Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers Long Ross Foster O'Brien "
    "Müller Østergaard Dubois"
).split()
WORDS = (  # noqa: SIM905
    "Acme Globex Initech Umbrella Hooli Stark Wayne Wonka Cyberdyne Soylent Tyrell Massive Dynamic Aperture "
    "Vandelay Pied Piper Dunder Mifflin Gringotts Oscorp Nakatomi Virtucon Monarch Blue Sun Vehement Prestige "
    "Kramerica Bluth Sterling Cooper Rich Gekko Duff Krusty Momcorp Planet Express Ollivander Zorg Yoyodyne "
    "Northwind Contoso Fabrikam Tailspin Adventure Works Litware Proseware Woodgrove Alpine Coho Lucerne"
).split()
SUFFIX = ("Inc", "LLC", "Corp", "Group", "Labs", "Systems", "Partners", "Holdings", "Technologies", "GmbH")
TLDS = ("com", "com", "com", "io", "net", "co", "org", "de", "co.uk")
TITLES = (
    "CEO",
    "CTO",
    "CFO",
    "VP of Sales",
    "VP Engineering",
    "Head of Marketing",
    "Director of Operations",
    "Software Engineer",
    "Senior Software Engineer",
    "Account Executive",
    "Sales Manager",
    "Product Manager",
    "Data Scientist",
    "HR Business Partner",
    "Customer Success Manager",
    "Founder",
    "Office Manager",
)
SENIORITY = ("Entry", "Senior", "Manager", "Director", "VP", "C-Level", "Owner", "")
DEPARTMENTS = ("Sales", "Engineering", "Marketing", "Finance", "Operations", "HR", "Support", "Legal", "")
PLACES = (
    ("San Francisco", "CA", "United States"),
    ("New York", "NY", "United States"),
    ("Austin", "TX", "USA"),
    ("Chicago", "IL", "US"),
    ("Seattle", "WA", "United States"),
    ("Boston", "MA", "United States"),
    ("London", "", "United Kingdom"),
    ("Berlin", "", "Germany"),
    ("Paris", "", "France"),
    ("Toronto", "ON", "Canada"),
    ("Sydney", "NSW", "Australia"),
    ("São Paulo", "SP", "Brazil"),
)
AREA = (201, 202, 206, 212, 213, 305, 312, 408, 415, 512, 617, 646, 650, 702, 718, 773, 808, 917)
FREE_MAIL = ("gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com")
SOURCES = ("Webinar", "Trade show", "Referral", "Inbound", "Cold outreach", "")

HEADER = [
    "Email", "First Name", "Last Name", "Job Title", "Company", "Website", "Phone", "Mobile Phone",
    "LinkedIn URL", "City", "State", "Country", "Seniority", "Department", "Lead Source", "Notes",
]  # fmt: skip


def _companies(rng: random.Random, count: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(out) < count:
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        name = f"{a} {b} {rng.choice(SUFFIX)}" if rng.random() < 0.7 else f"{a}{b.lower()}"
        domain = f"{a}{b}".lower().replace("'", "") + f"{rng.randrange(1000)}." + rng.choice(TLDS)
        if domain not in seen:
            seen.add(domain)
            out.append((name, domain))
    return out


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().replace("ø", "o")


def _phone(rng: random.Random) -> str:
    area, exch, line = rng.choice(AREA), rng.randrange(201, 999), rng.randrange(10000)
    style = rng.random()
    if style < 0.4:
        return f"({area}) {exch}-{line:04d}"
    if style < 0.7:
        return f"+1 {area}-{exch}-{line:04d}"
    if style < 0.85:
        return f"{area}.{exch}.{line:04d}"
    return f"+44 20 {rng.randrange(7000, 8999)} {rng.randrange(10000):04d}"


def generate(out: Path, rows: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    companies = _companies(rng, max(rows // 40, 50))
    recent: list[list[str]] = []
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        for i in range(rows):
            roll = rng.random()
            if roll < 0.03 and recent:
                row = list(rng.choice(recent))  # the same person again, a few fields changed
                row[0] = row[0].upper() if rng.random() < 0.3 else row[0]
                row[3] = rng.choice(TITLES)
                row[6] = "" if rng.random() < 0.5 else _phone(rng)  # blank never erases
                writer.writerow(row)
                continue
            first, last = rng.choice(FIRST), rng.choice(LAST)
            name, domain = rng.choice(companies)
            local = _ascii(f"{first}.{last}".lower().replace("'", "").replace(" ", ""))
            mail_domain = domain if rng.random() < 0.75 else rng.choice(FREE_MAIL)
            email = f"{local}{i}@{mail_domain}"
            city, state, country = rng.choice(PLACES)
            row = [
                email, first, last, rng.choice(TITLES), name,
                f"https://www.{domain}" if rng.random() < 0.6 else domain,
                _phone(rng), _phone(rng) if rng.random() < 0.4 else "",
                f"https://www.linkedin.com/in/{local}-{i}" if rng.random() < 0.5 else "",
                city, state, country, rng.choice(SENIORITY), rng.choice(DEPARTMENTS),
                rng.choice(SOURCES), "Met at the booth; wants a demo" if rng.random() < 0.05 else "",
            ]  # fmt: skip
            bad = rng.random()
            if bad < 0.005:
                row[0] = ""  # no email
            elif bad < 0.011:
                row[0] = rng.choice((f"{local}@", f"{local}.{domain}", f"{local}@@{domain}", "n/a"))
            elif bad < 0.015:
                row[1] = first * 40  # longer than the field's limit
            elif bad < 0.02:
                row = [*row, "unexpected", "cells"]  # more fields than the header
            elif bad < 0.03:
                row[6] = rng.choice(("ext. 12", "call me", "12"))  # phone dropped with a warning
            writer.writerow(row)
            if len(recent) < 5000:
                recent.append(row)
            elif rng.random() < 0.01:
                recent[rng.randrange(len(recent))] = row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    generate(args.out, args.rows, args.seed)
    print(f"wrote {args.rows:,} rows to {args.out} ({args.out.stat().st_size / 1e6:.1f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
