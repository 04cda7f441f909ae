"""Zoho data centers: where to mint tokens and where the Books API lives (zoho-books-api.md §1.1-1.2)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Region:
    accounts_url: str
    api_domain: str


REGIONS: dict[str, Region] = {
    "us": Region("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "eu": Region("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "in": Region("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "au": Region("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "jp": Region("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    # Canada: the accounts server is zohocloud.ca, the API domain zohoapis.ca.
    "ca": Region("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "cn": Region("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
    "sa": Region("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
}


def region(name: str) -> Region:
    try:
        return REGIONS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown region {name!r}: use one of {', '.join(REGIONS)}") from None
