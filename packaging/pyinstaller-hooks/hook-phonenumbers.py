"""Replaces the contrib hook, which collects every phonenumbers sub-module: the app parses and formats
numbers (phonenumbers.data / shortdata, loaded by region name at run time) but never uses the geocoder,
carrier or timezone look-ups, whose data modules are ~40 MB."""

from PyInstaller.utils.hooks import collect_submodules

_UNUSED = ("geocoder", "geodata", "carrier", "carrierdata", "timezone", "tzdata")

hiddenimports = collect_submodules(
    "phonenumbers", filter=lambda name: name.partition(".")[2].split(".")[0] not in _UNUSED
)
