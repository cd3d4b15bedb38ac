"""Auto-mapping of real export headers, one test per vendor layout (issue 3, "Mapping")."""

from __future__ import annotations

from contact360_desktop.core.mapping import CUSTOM, auto_map


def targets(header: list[str]) -> dict[str, str]:
    return dict(zip(header, auto_map(header).targets, strict=True))


def fields_of(header: list[str]) -> dict[str, str]:
    """canonical field -> the source column that feeds it."""
    return {t: s for s, t in targets(header).items() if t != CUSTOM}


GOOGLE_OLD = [
    "Name",
    "Given Name",
    "Additional Name",
    "Family Name",
    "Yomi Name",
    "Given Name Yomi",
    "Additional Name Yomi",
    "Family Name Yomi",
    "Name Prefix",
    "Name Suffix",
    "Initials",
    "Nickname",
    "Short Name",
    "Maiden Name",
    "Birthday",
    "Gender",
    "Location",
    "Billing Information",
    "Directory Server",
    "Mileage",
    "Occupation",
    "Hobby",
    "Sensitivity",
    "Priority",
    "Subject",
    "Notes",
    "Language",
    "Photo",
    "Group Membership",
    "E-mail 1 - Type",
    "E-mail 1 - Value",
    "E-mail 2 - Type",
    "E-mail 2 - Value",
    "Phone 1 - Type",
    "Phone 1 - Value",
    "Phone 2 - Type",
    "Phone 2 - Value",
    "Address 1 - Type",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Organization 1 - Type",
    "Organization 1 - Name",
    "Organization 1 - Yomi Name",
    "Organization 1 - Title",
    "Organization 1 - Department",
    "Organization 1 - Symbol",
    "Organization 1 - Location",
    "Organization 1 - Job Description",
    "Website 1 - Type",
    "Website 1 - Value",
]

GOOGLE_NEW = [
    "First Name",
    "Middle Name",
    "Last Name",
    "Phonetic First Name",
    "Phonetic Middle Name",
    "Phonetic Last Name",
    "Name Prefix",
    "Name Suffix",
    "Nickname",
    "File As",
    "Organization Name",
    "Organization Title",
    "Organization Department",
    "Birthday",
    "Notes",
    "Photo",
    "Labels",
    "E-mail 1 - Label",
    "E-mail 1 - Value",
    "E-mail 2 - Label",
    "E-mail 2 - Value",
    "Phone 1 - Label",
    "Phone 1 - Value",
    "Address 1 - Label",
    "Address 1 - Formatted",
    "Address 1 - Street",
    "Address 1 - City",
    "Address 1 - PO Box",
    "Address 1 - Region",
    "Address 1 - Postal Code",
    "Address 1 - Country",
    "Address 1 - Extended Address",
    "Website 1 - Label",
    "Website 1 - Value",
]

OUTLOOK = [
    "Title",
    "First Name",
    "Middle Name",
    "Last Name",
    "Suffix",
    "Company",
    "Department",
    "Job Title",
    "Business Street",
    "Business Street 2",
    "Business Street 3",
    "Business City",
    "Business State",
    "Business Postal Code",
    "Business Country/Region",
    "Home Street",
    "Home Street 2",
    "Home Street 3",
    "Home City",
    "Home State",
    "Home Postal Code",
    "Home Country/Region",
    "Other Street",
    "Other City",
    "Other State",
    "Other Postal Code",
    "Other Country/Region",
    "Assistant's Phone",
    "Business Fax",
    "Business Phone",
    "Business Phone 2",
    "Callback",
    "Car Phone",
    "Company Main Phone",
    "Home Fax",
    "Home Phone",
    "Home Phone 2",
    "ISDN",
    "Mobile Phone",
    "Other Fax",
    "Other Phone",
    "Pager",
    "Primary Phone",
    "Radio Phone",
    "TTY/TDD Phone",
    "Telex",
    "Account",
    "Anniversary",
    "Assistant's Name",
    "Billing Information",
    "Birthday",
    "Business Address PO Box",
    "Categories",
    "Children",
    "Directory Server",
    "E-mail Address",
    "E-mail Type",
    "E-mail Display Name",
    "E-mail 2 Address",
    "E-mail 2 Type",
    "E-mail 2 Display Name",
    "E-mail 3 Address",
    "E-mail 3 Type",
    "E-mail 3 Display Name",
    "Gender",
    "Government ID Number",
    "Hobby",
    "Home Address PO Box",
    "Initials",
    "Internet Free Busy",
    "Keywords",
    "Language",
    "Location",
    "Manager's Name",
    "Mileage",
    "Notes",
    "Office Location",
    "Organizational ID Number",
    "Other Address PO Box",
    "Priority",
    "Private",
    "Profession",
    "Referred By",
    "Sensitivity",
    "Spouse",
    "User 1",
    "User 2",
    "User 3",
    "User 4",
    "Web Page",
]

LINKEDIN = ["First Name", "Last Name", "URL", "Email Address", "Company", "Position", "Connected On"]

HUBSPOT = [
    "Record ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone Number",
    "Mobile Phone Number",
    "Job Title",
    "Company Name",
    "Website URL",
    "City",
    "State/Region",
    "Country/Region",
    "Street Address",
    "Postal Code",
    "Lifecycle Stage",
    "Lead Status",
    "Contact owner",
    "Create Date",
    "Last Activity Date",
    "Associated Company",
    "Job function",
    "Seniority",
]

APOLLO = [
    "First Name",
    "Last Name",
    "Title",
    "Company",
    "Company Name for Emails",
    "Email",
    "Email Status",
    "Primary Email Source",
    "Email Confidence",
    "Seniority",
    "Departments",
    "Contact Owner",
    "First Phone",
    "Work Direct Phone",
    "Home Phone",
    "Mobile Phone",
    "Corporate Phone",
    "Other Phone",
    "Stage",
    "Lists",
    "Last Contacted",
    "Account Owner",
    "# Employees",
    "Industry",
    "Keywords",
    "Person Linkedin Url",
    "Website",
    "Company Linkedin Url",
    "Facebook Url",
    "Twitter Url",
    "City",
    "State",
    "Country",
    "Company Address",
    "Company City",
    "Company State",
    "Company Country",
    "Company Phone",
    "SEO Description",
    "Technologies",
    "Annual Revenue",
    "Total Funding",
    "Latest Funding",
    "Latest Funding Amount",
    "Last Raised At",
    "Email Sent",
    "Email Open",
    "Email Bounced",
    "Replied",
    "Demoed",
    "Number of Retail Locations",
    "Apollo Contact Id",
    "Apollo Account Id",
]

SALESFORCE_REPORT = [
    "Contact ID",
    "Salutation",
    "First Name",
    "Last Name",
    "Title",
    "Account Name",
    "Mailing Street",
    "Mailing City",
    "Mailing State/Province",
    "Mailing Zip/Postal Code",
    "Mailing Country",
    "Phone",
    "Mobile",
    "Email",
    "Department",
    "Lead Source",
    "Contact Owner",
    "Email Opt Out",
]

SALESFORCE_DATA_LOADER = [
    "Id",
    "Salutation",
    "FirstName",
    "LastName",
    "Title",
    "Account.Name",
    "MailingCity",
    "MailingState",
    "MailingCountry",
    "Phone",
    "MobilePhone",
    "Email",
    "Department",
    "LeadSource",
]


def test_google_contacts_old_export() -> None:
    assert fields_of(GOOGLE_OLD) == {
        "email": "E-mail 1 - Value",
        "first_name": "Given Name",
        "last_name": "Family Name",
        "title": "Organization 1 - Title",
        "company_name": "Organization 1 - Name",
        "phone": "Phone 1 - Value",
        "city": "Address 1 - City",
        "state": "Address 1 - Region",
        "country": "Address 1 - Country",
        "department": "Organization 1 - Department",
    }
    got = targets(GOOGLE_OLD)
    assert got["E-mail 2 - Value"] == CUSTOM  # a second address stays with the contact
    assert got["E-mail 1 - Type"] == CUSTOM


def test_google_contacts_new_export() -> None:
    assert fields_of(GOOGLE_NEW) == {
        "email": "E-mail 1 - Value",
        "first_name": "First Name",
        "last_name": "Last Name",
        "title": "Organization Title",
        "company_name": "Organization Name",
        "department": "Organization Department",
        "phone": "Phone 1 - Value",
        "city": "Address 1 - City",
        "state": "Address 1 - Region",
        "country": "Address 1 - Country",
    }


def test_outlook_title_is_the_honorific_and_job_title_the_title() -> None:
    assert fields_of(OUTLOOK) == {
        "email": "E-mail Address",
        "first_name": "First Name",
        "last_name": "Last Name",
        "title": "Job Title",
        "company_name": "Company",
        "department": "Department",
        "phone": "Business Phone",
        "mobile_phone": "Mobile Phone",
        "city": "Business City",
        "state": "Business State",
        "country": "Business Country/Region",
    }
    mapping = auto_map(OUTLOOK)
    title = mapping.columns[OUTLOOK.index("Title")]
    assert (title.target, title.method) == (CUSTOM, "layout")
    assert targets(OUTLOOK)["Company Main Phone"] == CUSTOM


def test_linkedin_connections() -> None:
    assert targets(LINKEDIN) == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "URL": "linkedin_url",
        "Email Address": "email",
        "Company": "company_name",
        "Position": "title",
        "Connected On": CUSTOM,
    }


def test_hubspot_contacts_export() -> None:
    assert fields_of(HUBSPOT) == {
        "email": "Email",
        "first_name": "First Name",
        "last_name": "Last Name",
        "title": "Job Title",
        "company_name": "Company Name",
        "company_domain": "Website URL",
        "phone": "Phone Number",
        "mobile_phone": "Mobile Phone Number",
        "city": "City",
        "state": "State/Region",
        "country": "Country/Region",
        "seniority": "Seniority",
        "department": "Job function",
    }


def test_apollo_people_export() -> None:
    assert fields_of(APOLLO) == {
        "email": "Email",
        "first_name": "First Name",
        "last_name": "Last Name",
        "title": "Title",  # no "Job Title" column here: Title is the job title
        "company_name": "Company",
        "company_domain": "Website",
        "phone": "Work Direct Phone",
        "mobile_phone": "Mobile Phone",
        "linkedin_url": "Person Linkedin Url",
        "city": "City",
        "state": "State",
        "country": "Country",
        "seniority": "Seniority",
        "department": "Departments",
    }
    got = targets(APOLLO)
    for company_column in ("Company City", "Company Phone", "Company Linkedin Url", "Email Status", "Stage"):
        assert got[company_column] == CUSTOM


def test_apollo_company_name_for_emails_and_corporate_phone_when_alone() -> None:
    header = ["Email", "Company Name for Emails", "Corporate Phone", "Website"]
    assert targets(header) == {
        "Email": "email",
        "Company Name for Emails": "company_name",
        "Corporate Phone": "phone",
        "Website": "company_domain",
    }


def test_salesforce_report_export() -> None:
    assert fields_of(SALESFORCE_REPORT) == {
        "email": "Email",
        "first_name": "First Name",
        "last_name": "Last Name",
        "title": "Title",
        "company_name": "Account Name",
        "phone": "Phone",
        "mobile_phone": "Mobile",
        "city": "Mailing City",
        "state": "Mailing State/Province",
        "country": "Mailing Country",
        "department": "Department",
    }
    assert targets(SALESFORCE_REPORT)["Email Opt Out"] == CUSTOM


def test_salesforce_data_loader_export() -> None:
    assert fields_of(SALESFORCE_DATA_LOADER) == {
        "email": "Email",
        "first_name": "FirstName",
        "last_name": "LastName",
        "title": "Title",
        "company_name": "Account.Name",
        "phone": "Phone",
        "mobile_phone": "MobilePhone",
        "city": "MailingCity",
        "state": "MailingState",
        "country": "MailingCountry",
        "department": "Department",
    }
