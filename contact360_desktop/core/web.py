"""Company domains and LinkedIn profile URLs, normalised.

``normalize_domain("https://www.Acme.com/about")`` -> ``"acme.com"`` (companies are
upserted by it); ``normalize_linkedin_url("linkedin.com/in/jane/")`` ->
``"https://www.linkedin.com/in/jane"``. Both return None for values that are not one.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Final
from urllib.parse import urlsplit

__all__ = [
    "COMMON_WEBSITE",
    "LINKEDIN_NOT_LINKEDIN",
    "LINKEDIN_NOT_URL",
    "LINKEDIN_PROFILE",
    "LINKEDIN_PROFILES",
    "normalize_domain",
    "normalize_linkedin_url",
]

# Labels of letters/digits/hyphens (Unicode letters allowed: IDN domains), a TLD of
# letters or a punycode TLD.
_DOMAIN: Final = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[a-z0-9-]{1,59})")
_PORT: Final = re.compile(r":\d*$")
#: The common website or domain, lower-case: an optional http(s) scheme and "www." (taken
#: for good, as normalize_domain strips them), ASCII labels, a TLD of letters, an optional
#: path without "@" or ":" (normalize_domain looks for those anywhere). Group 1 is exactly
#: what normalize_domain gives for it (a property test); anything else goes there.
COMMON_WEBSITE: Final = re.compile(
    r"(?:https?://)?+(?:www\.)?+((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})(?:[/?#][^@:]*)?"
)

#: A LinkedIn profile address (fullmatch); group 1 is the profile's slug.
LINKEDIN_PROFILE: Final = re.compile(
    r"(?:https?://)?(?:[a-z]{2,3}\.|www\.)?linkedin\.com/in/([^/?#\s]+)/?(?:[?#]\S*)?", re.IGNORECASE
)
LINKEDIN_PROFILE_BASE: Final = "https://www.linkedin.com"
#: What a profile's slug is appended to.
LINKEDIN_PROFILES: Final = LINKEDIN_PROFILE_BASE + "/in/"

#: Reasons normalize_linkedin_url gives for rejecting a value.
LINKEDIN_NOT_URL: Final = "not a URL"
LINKEDIN_NOT_LINKEDIN: Final = "not a LinkedIn address"


# Websites are mostly distinct (8% hits over a 5,000,000-row file at 65,536 entries, which
# held ~15 MB): the import takes the common shapes by COMMON_WEBSITE; the cache is for the rest.
@lru_cache(maxsize=16384)
def normalize_domain(value: str) -> str | None:
    """A bare lower-case domain from a domain, website URL or email address; None if none."""
    text = value.strip().lower()
    scheme_end = text.find("://")
    if scheme_end != -1:
        text = text[scheme_end + 3 :]
    elif text.startswith("//"):
        text = text[2:]
    elif "@" in text:
        text = text.rpartition("@")[2]  # an email address in a domain column
    for separator in "/?#":
        text = text.partition(separator)[0]
    text = text.rpartition("@")[2]  # user:password@host
    text = _PORT.sub("", text).rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    return text if _DOMAIN.fullmatch(text) else None


def normalize_linkedin_url(value: str) -> tuple[str | None, str]:
    """``(url, "")`` as ``https://www.linkedin.com/...``, or ``(None, reason)``."""
    match = LINKEDIN_PROFILE.fullmatch(value)
    if match is not None:
        return LINKEDIN_PROFILES + match.group(1), ""
    if any(ch.isspace() for ch in value):
        return None, LINKEDIN_NOT_URL
    text = value if "://" in value else "https://" + value.lstrip("/")
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None, LINKEDIN_NOT_URL
    if parts.scheme not in ("http", "https") or not host or "." not in host:
        return None, LINKEDIN_NOT_URL
    if host != "linkedin.com" and not host.endswith(".linkedin.com"):
        return None, LINKEDIN_NOT_LINKEDIN
    path = parts.path.rstrip("/")
    if not path:
        return None, LINKEDIN_NOT_LINKEDIN  # the home page is not anyone's profile
    return LINKEDIN_PROFILE_BASE + path, ""
