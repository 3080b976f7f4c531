"""Where candidates come from: the catalog view, the product sources a playbook names, and the one builder.

view.CatalogView(products)              lookups by id and category
sources.SOURCES                         one CandidateSource per `ProductSource`: name, needs, function
sources.find_products(names, given)     ranked, in-stock candidates and the anchor
build.product_candidate(product, ...)   Product -> ProductCandidate, the only place it is done
"""

from .build import DESCRIPTION_CHARS, anchor_candidate, product_candidate
from .sources import SOURCES, CandidateSource, Need, SourceHit, SourceInput, find_products
from .view import CatalogView

__all__ = [
    "DESCRIPTION_CHARS",
    "SOURCES",
    "CandidateSource",
    "CatalogView",
    "Need",
    "SourceHit",
    "SourceInput",
    "anchor_candidate",
    "find_products",
    "product_candidate",
]
