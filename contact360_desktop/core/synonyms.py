"""Header names that vendors' exports use for our canonical fields.

Plain data; ``mapping`` normalises these (case, spaces and punctuation ignored) and
uses them after the exact and normalised matches. The weight orders two columns that
claim the same field: the higher weight keeps it, the other stays a custom field
(Google's "E-mail 1 - Value" beats a fuzzy "E-mail 2 - Value"; Apollo's "Work Direct
Phone" beats its "Corporate Phone").

Layouts covered (one test each in tests/core/test_mapping_layouts.py): Google
Contacts (old and new export), Outlook, LinkedIn Connections, HubSpot, Apollo,
Salesforce (report and Data Loader names), plus common French/German/Spanish names.
"""

from __future__ import annotations

from typing import Final

PRIMARY: Final = 0.95
SECONDARY: Final = 0.9
FALLBACK: Final = 0.85

#: canonical field -> (header as it appears in an export, weight)
SYNONYMS: Final[dict[str, tuple[tuple[str, float], ...]]] = {
    "email": (
        ("Email", PRIMARY),
        ("E-mail", PRIMARY),
        ("Email Address", PRIMARY),  # LinkedIn, generic
        ("E-mail Address", PRIMARY),  # Outlook
        ("E-mail 1 - Value", PRIMARY),  # Google Contacts
        ("Email 1", SECONDARY),
        ("Primary Email", PRIMARY),
        ("Work Email", SECONDARY),
        ("Business Email", SECONDARY),
        ("Personal Email", FALLBACK),
        ("Mail", SECONDARY),
        ("Courriel", PRIMARY),
        ("Adresse e-mail", PRIMARY),
        ("E-Mail-Adresse", PRIMARY),
        ("Correo electrónico", PRIMARY),
    ),
    "first_name": (
        ("First Name", PRIMARY),
        ("Given Name", PRIMARY),  # Google Contacts (old)
        ("First", SECONDARY),
        ("Firstname", PRIMARY),
        ("Forename", PRIMARY),
        ("Prénom", PRIMARY),
        ("Vorname", PRIMARY),
        ("Nombre", SECONDARY),
    ),
    "last_name": (
        ("Last Name", PRIMARY),
        ("Family Name", PRIMARY),  # Google Contacts (old)
        ("Surname", PRIMARY),
        ("Last", SECONDARY),
        ("Lastname", PRIMARY),
        ("Nom", SECONDARY),
        ("Nom de famille", PRIMARY),
        ("Nachname", PRIMARY),
        ("Apellido", PRIMARY),
        ("Apellidos", PRIMARY),
    ),
    "title": (
        ("Job Title", PRIMARY),  # Outlook, HubSpot
        ("Position", PRIMARY),  # LinkedIn
        ("Organization 1 - Title", PRIMARY),  # Google Contacts (old)
        ("Organization Title", PRIMARY),  # Google Contacts (new)
        ("Role", SECONDARY),
        ("Job Role", SECONDARY),
        ("Designation", SECONDARY),
        ("Titre", SECONDARY),
        ("Poste", SECONDARY),
        ("Berufsbezeichnung", SECONDARY),
        ("Cargo", SECONDARY),
    ),
    "company_name": (
        ("Company", PRIMARY),  # Outlook, LinkedIn, Apollo
        ("Company Name", PRIMARY),  # HubSpot
        ("Account Name", PRIMARY),  # Salesforce
        ("Account.Name", PRIMARY),  # Salesforce Data Loader
        ("Organization", PRIMARY),
        ("Organisation", PRIMARY),
        ("Organization 1 - Name", PRIMARY),  # Google Contacts (old)
        ("Organization Name", PRIMARY),  # Google Contacts (new)
        ("Company Name for Emails", SECONDARY),  # Apollo's cleaned-up name
        ("Associated Company", FALLBACK),  # HubSpot
        ("Employer", SECONDARY),
        ("Entreprise", PRIMARY),
        ("Société", PRIMARY),
        ("Firma", PRIMARY),
        ("Unternehmen", PRIMARY),
        ("Empresa", PRIMARY),
    ),
    "company_domain": (
        ("Domain", PRIMARY),
        ("Company Domain", PRIMARY),
        ("Company Domain Name", PRIMARY),  # HubSpot
        ("Email Domain", FALLBACK),
        ("Website", SECONDARY),  # Apollo
        ("Company Website", SECONDARY),
        ("Website URL", SECONDARY),  # HubSpot
        ("Web Site", SECONDARY),
        ("Company URL", SECONDARY),
        ("Site web", SECONDARY),
    ),
    "phone": (
        ("Phone", PRIMARY),
        ("Phone Number", PRIMARY),  # HubSpot
        ("Telephone", PRIMARY),
        ("Work Phone", PRIMARY),
        ("Business Phone", PRIMARY),  # Outlook
        ("Work Direct Phone", PRIMARY),  # Apollo
        ("Direct Phone", PRIMARY),
        ("Phone 1 - Value", PRIMARY),  # Google Contacts
        ("Primary Phone", SECONDARY),  # Outlook
        ("First Phone", SECONDARY),  # Apollo
        ("Office Phone", SECONDARY),
        ("Corporate Phone", FALLBACK),  # Apollo: the company's switchboard
        ("Home Phone", FALLBACK),
        ("Téléphone", PRIMARY),
        ("Telefon", PRIMARY),
        ("Teléfono", PRIMARY),
    ),
    "mobile_phone": (
        ("Mobile", PRIMARY),  # Salesforce report
        ("Mobile Phone", PRIMARY),  # Outlook, Apollo
        ("Mobile Phone Number", PRIMARY),  # HubSpot
        ("MobilePhone", PRIMARY),  # Salesforce Data Loader
        ("Cell", PRIMARY),
        ("Cell Phone", PRIMARY),
        ("Cellphone", PRIMARY),
        ("Mobile Number", PRIMARY),
        ("Portable", SECONDARY),
        ("Handy", SECONDARY),
        ("Mobil", SECONDARY),
        ("Móvil", SECONDARY),
    ),
    "linkedin_url": (
        ("LinkedIn", PRIMARY),
        ("LinkedIn URL", PRIMARY),
        ("LinkedIn Profile", PRIMARY),
        ("LinkedIn Profile URL", PRIMARY),
        ("Person Linkedin Url", PRIMARY),  # Apollo
        ("Linkedin Url", PRIMARY),
        ("Profile URL", SECONDARY),
        ("URL", FALLBACK),  # LinkedIn Connections
    ),
    "city": (
        ("City", PRIMARY),
        ("Town", SECONDARY),
        ("Business City", PRIMARY),  # Outlook
        ("Mailing City", PRIMARY),  # Salesforce
        ("MailingCity", PRIMARY),
        ("Address 1 - City", SECONDARY),  # Google Contacts
        ("Ville", PRIMARY),
        ("Stadt", PRIMARY),
        ("Ort", SECONDARY),
        ("Ciudad", PRIMARY),
    ),
    "state": (
        ("State", PRIMARY),
        ("Province", PRIMARY),
        ("Region", SECONDARY),
        ("State/Region", PRIMARY),  # HubSpot
        ("State/Province", PRIMARY),
        ("Business State", PRIMARY),  # Outlook
        ("Mailing State", PRIMARY),
        ("Mailing State/Province", PRIMARY),  # Salesforce
        ("MailingState", PRIMARY),
        ("Address 1 - Region", SECONDARY),  # Google Contacts
        ("County", FALLBACK),
        ("Bundesland", SECONDARY),
        ("Provincia", SECONDARY),
    ),
    "country": (
        ("Country", PRIMARY),
        ("Country/Region", PRIMARY),  # HubSpot
        ("Business Country/Region", PRIMARY),  # Outlook
        ("Business Country", PRIMARY),
        ("Mailing Country", PRIMARY),  # Salesforce
        ("MailingCountry", PRIMARY),
        ("Address 1 - Country", SECONDARY),  # Google Contacts
        ("Nation", SECONDARY),
        ("Pays", PRIMARY),
        ("Land", SECONDARY),
        ("País", PRIMARY),
    ),
    "seniority": (
        ("Seniority", PRIMARY),
        ("Seniority Level", PRIMARY),
        ("Level", FALLBACK),
        ("Management Level", SECONDARY),
    ),
    "department": (
        ("Department", PRIMARY),
        ("Departments", PRIMARY),  # Apollo
        ("Organization 1 - Department", PRIMARY),  # Google Contacts (old)
        ("Organization Department", PRIMARY),  # Google Contacts (new)
        ("Job Function", SECONDARY),  # HubSpot
        ("Function", FALLBACK),
        ("Division", FALLBACK),
        ("Abteilung", SECONDARY),
        ("Departamento", SECONDARY),
    ),
}

#: Headers that look like a canonical field but hold something else. They are never
#: auto-mapped (not even fuzzily) and stay custom fields: the company's phone or
#: address is not the person's, an e-mail "Type" or "Label" is not an address.
NOT_A_FIELD: Final[tuple[str, ...]] = (
    "E-mail Type",  # Outlook
    "E-mail Display Name",
    "E-mail 2 Type",
    "E-mail 2 Display Name",
    "E-mail 3 Type",
    "E-mail 3 Display Name",
    "E-mail 1 - Type",  # Google Contacts (old)
    "E-mail 1 - Label",  # Google Contacts (new)
    "E-mail 2 - Type",
    "E-mail 2 - Label",
    "Phone 1 - Type",
    "Phone 1 - Label",
    "Phone 2 - Type",
    "Phone 2 - Label",
    "Organization 1 - Yomi Name",
    "Organization 1 - Type",
    "Organization 1 - Symbol",
    "Organization 1 - Location",
    "Organization 1 - Job Description",
    "Given Name Yomi",
    "Family Name Yomi",
    "Phonetic First Name",
    "Phonetic Last Name",
    "Email Status",  # Apollo
    "Email Confidence",
    "Primary Email Source",
    "Email Sent",
    "Email Open",
    "Email Bounced",
    "Email Opt Out",  # Salesforce
    "Company Phone",  # Apollo: the company's number
    "Company Main Phone",  # Outlook
    "Company Address",
    "Company City",
    "Company State",
    "Company Country",
    "Company Linkedin Url",
    "Company Street",
    "Company Postal Code",
    "Company Yomi",  # Outlook
    "Email Domain Status",
    "Email Verified",
    "Company Id",
    "Account Id",
    "Account Owner",
    "Contact Owner",
    "Company Name Yomi",
)

#: A bare "Title" next to one of these columns is Outlook's honorific (Mr., Dr.),
#: not the job title.
JOB_TITLE_COLUMNS: Final[tuple[str, ...]] = ("Job Title",)
HONORIFIC_WHEN_JOB_TITLE: Final[tuple[str, ...]] = ("Title",)
