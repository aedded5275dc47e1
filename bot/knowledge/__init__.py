"""Knowledge about Westminster people: a packaged register and recognition of names in text.

The register is a compact copy derived from the shared UK Westminster reference list by
`python -m bot.knowledge.build`; whoever shows it must show ATTRIBUTION with it.
"""

from __future__ import annotations

# The lines the sources require (Open Parliament Licence v3.0 for the Members API and House of
# Commons Library data; CC BY 4.0 for the IfG Ministers Database), worded as the sources ask.
ATTRIBUTION = (
    "Contains Parliamentary information licensed under the Open Parliament Licence v3.0.",
    "Institute for Government, IfG Ministers Database "
    "(github.com/instituteforgov/ifg-ministers-database-public), CC BY 4.0 — reformatted.",
)

__all__ = ["ATTRIBUTION"]
