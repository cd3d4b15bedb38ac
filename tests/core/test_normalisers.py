"""Email, phone, domain and LinkedIn normalisation, and that the fast paths agree with the libraries."""

from __future__ import annotations

import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from hypothesis import given, settings
from hypothesis import strategies as st

from contact360_desktop.core.emails import COMMON_ADDRESS, normalize_email
from contact360_desktop.core.phones import NANP_NUMBER, PhoneNormalizer
from contact360_desktop.core.web import COMMON_WEBSITE, normalize_domain, normalize_linkedin_url


# -- email ---------------------------------------------------------------------------
def library_verdict(address: str) -> str | None:
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        return None


_email_chars = st.sampled_from(list("abcxyz019.-_+'!#%@") + ["--", "..", "xn--", ".test", ".com", "@b.io"])


@settings(max_examples=400, deadline=None)
@given(st.lists(_email_chars, min_size=1, max_size=14).map("".join))
def test_fast_email_path_agrees_with_email_validator(address: str) -> None:
    assert normalize_email(address)[0] == library_verdict(address)


@pytest.mark.parametrize(
    "address",
    ["a@b.co", "first.last+tag@sub.example.com", "o'brien@x.ie", "x@example.com", "a" * 64 + "@b.io"],
)
def test_common_addresses_take_the_fast_path(address: str) -> None:
    assert COMMON_ADDRESS.fullmatch(address)
    assert normalize_email(address) == (address, "")


def test_addresses_are_lower_cased_and_international_ones_accepted() -> None:
    assert normalize_email("Ann.Lee@Example.COM") == ("ann.lee@example.com", "")
    assert normalize_email("jöhn@bücher.de")[0] == "jöhn@bücher.de"
    assert normalize_email("a@xn--bcher-kva.ch")[0] == "a@bücher.ch"


def test_invalid_addresses_say_why() -> None:
    email, reason = normalize_email("a..b@x.com")
    assert email is None and "two periods" in reason
    assert normalize_email("a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".io")[0] is None  # > 254
    assert normalize_email("x@y.localhost")[0] is None


# -- phones --------------------------------------------------------------------------
def library_e164(raw: str, region: str) -> str | None:
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_phone_shapes = st.tuples(
    st.sampled_from(["", "1", "+1", "1 ", "+1 ", "+1-", "+44 "]),
    st.sampled_from(["", "("]),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
    st.sampled_from(["", ")", ") ", " ", "-", "."]),
    st.from_regex(r"[0-9]{3}", fullmatch=True),
    st.sampled_from(["", " ", "-", "."]),
    st.from_regex(r"[0-9]{3,5}", fullmatch=True),
    st.sampled_from(["", " ", " x12"]),
).map("".join)


_international_shapes = st.tuples(
    st.sampled_from(sorted(phonenumbers.COUNTRY_CODE_TO_REGION_CODE) + [0, 9, 28, 80, 999]),
    st.lists(
        st.tuples(st.sampled_from(["", " ", "-", "."]), st.text("0123456789", min_size=1, max_size=5)),
        min_size=1,
        max_size=5,
    ),
).map(lambda t: "+" + str(t[0]) + "".join(sep + digits for sep, digits in t[1]))


@settings(max_examples=3000, deadline=None)
@given(
    raw=st.one_of(_international_shapes, st.from_regex(r"\A\+[0-9 .-]{1,20}\Z")),
    region=st.sampled_from(["US", "GB", "DE", "FR", "IT", "BR", "AR", "MX", "IN", "AU"]),
)
def test_fast_international_path_agrees_with_phonenumbers(raw: str, region: str) -> None:
    assert PhoneNormalizer(region)(raw) == library_e164(raw, region)


@pytest.mark.parametrize(
    "raw",
    ["+44 20 7946 0958", "+44 020 7946 0958", "+39 06 1234 5678", "+54 9 11 1234 5678", "+52 1 55 1234 5678"],
)
def test_international_numbers_of_countries_with_national_prefixes(raw: str) -> None:
    assert PhoneNormalizer("US")(raw) == library_e164(raw, "US")


@settings(max_examples=500, deadline=None)
@given(raw=_phone_shapes, region=st.sampled_from(["US", "CA", "PR"]))
def test_fast_phone_path_agrees_with_phonenumbers(raw: str, region: str) -> None:
    assert PhoneNormalizer(region)(raw) == library_e164(raw, region)


@pytest.mark.parametrize(
    "raw", ["(415) 555-0100", "415-555-0100", "415.555.0100", "+1 415 555 0100", "14155550100"]
)
def test_common_north_american_numbers_take_the_fast_path(raw: str) -> None:
    assert NANP_NUMBER.fullmatch(raw)
    assert PhoneNormalizer("US")(raw) == "+14155550100"


def test_other_regions_and_international_numbers() -> None:
    assert PhoneNormalizer("GB")("020 7946 0958") == "+442079460958"
    assert PhoneNormalizer("DE")("+49 30 901820") == "+4930901820"
    assert PhoneNormalizer("US")("+33 1 42 68 53 00") == "+33142685300"
    assert PhoneNormalizer("US")("1-800-FLOWERS") == "+18003569377"
    assert PhoneNormalizer("US")("not a number") is None
    assert PhoneNormalizer("US")("123") is None


def test_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown phone region"):
        PhoneNormalizer("XX")


# -- domains and LinkedIn ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("value", "domain"),
    [
        ("acme.com", "acme.com"),
        ("  ACME.com ", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("https://www.Acme.com/about?x=1#top", "acme.com"),
        ("http://acme.co.uk:8080", "acme.co.uk"),
        ("//acme.io/", "acme.io"),
        ("info@acme.com", "acme.com"),
        ("bücher.de", "bücher.de"),
        ("acme.com.", "acme.com"),
        ("acme", None),
        ("n/a", None),
        ("-", None),
        ("http://", None),
        ("acme .com", None),
    ],
)
def test_normalize_domain(value: str, domain: str | None) -> None:
    assert normalize_domain(value) == domain


@pytest.mark.parametrize(
    ("value", "url"),
    [
        ("https://www.linkedin.com/in/annlee", "https://www.linkedin.com/in/annlee"),
        ("linkedin.com/in/annlee/", "https://www.linkedin.com/in/annlee"),
        ("http://uk.linkedin.com/in/ann-lee-12345?trk=abc", "https://www.linkedin.com/in/ann-lee-12345"),
        ("www.linkedin.com/in/annlee#about", "https://www.linkedin.com/in/annlee"),
        ("https://www.linkedin.com/pub/ann-lee/1/2/3/", "https://www.linkedin.com/pub/ann-lee/1/2/3"),
        ("linkedin.com/company/acme", "https://www.linkedin.com/company/acme"),
    ],
)
def test_linkedin_urls_are_normalised(value: str, url: str) -> None:
    assert normalize_linkedin_url(value) == (url, "")


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("Ann Lee", "not a URL"),
        ("annlee", "not a URL"),
        ("https://twitter.com/annlee", "not a LinkedIn address"),
        ("https://www.linkedin.com/", "not a LinkedIn address"),
        ("https://notlinkedin.com/in/x", "not a LinkedIn address"),
        ("ftp://linkedin.com/in/x", "not a URL"),
    ],
)
def test_values_that_are_not_linkedin_urls(value: str, reason: str) -> None:
    assert normalize_linkedin_url(value) == (None, reason)


_website_parts = st.sampled_from(
    ["https://", "http://", "ftp://", "//", "www.", "www", "acme", "a-b", "-x", "x_y", "ü", "K", "İ", "9"]
    + [".", "..", ".com", ".co.uk", ".io", ".xn--p1ai", ".c0m", ":8080", "/", "/about?x#y", "?q", "#f"]
    + ["@", "user:pw@", " ", "\n", "ACME", ".COM", "-", "://", "/@x", "?to=https://x.io"]
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(_website_parts, min_size=1, max_size=8).map("".join))
def test_common_website_shape_gives_what_normalize_domain_gives(value: str) -> None:
    """The import's column fast path (COMMON_WEBSITE's group 1) never disagrees with normalize_domain."""
    match = COMMON_WEBSITE.fullmatch(value.strip().lower())
    if match is not None:
        assert match[1] == normalize_domain(value)


@pytest.mark.parametrize(
    "value", ["https://www.Acme.com/about", "acme.co.uk", "http://acme.io?x", "www.www.acme.com", "ACME.COM#top"]
)
def test_common_websites_take_the_fast_path(value: str) -> None:
    match = COMMON_WEBSITE.fullmatch(value.lower())
    assert match is not None and match[1] == normalize_domain(value)

