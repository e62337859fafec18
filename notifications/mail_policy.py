"""The ``email`` policy notices are written with: ``email.policy.SMTP``, folding faster.

Nearly every notice has a Japanese subject and Japanese display names, and the modern
policy folds such a header into RFC 2047 encoded words by re-parsing it and weighing
every character, about a millisecond per header: most of the time a worker spends on a
message. ``email.header.Header``, the standard library's older encoder, writes the same
kind of encoded words (UTF-8, base64, lines within the limit) in a tenth of the time.

Only the folding changes. Headers are still set through ``EmailMessage``, which parses
each value and refuses a line break in it, so a header can still never be injected; a
header this policy has no fast way for (ASCII only, several addresses, a non-ASCII
address) is folded by the modern policy as before.

Two more costs are paid once instead of per message: the standard registry makes a new
class for every header it parses, and a header seen before (the sender, the parts'
Content-Type, a frequent recipient) is parsed again. Header objects cannot be changed
after they are made, so one can serve every message that has it.
"""

from __future__ import annotations

from email.header import Header
from email.headerregistry import AddressHeader, HeaderRegistry, UnstructuredHeader
from email.policy import EmailPolicy
from functools import lru_cache

CHARSET = "utf-8"


class SharedHeaders(HeaderRegistry):
    def __init__(self) -> None:
        super().__init__()
        self._classes: dict[str, type] = {}
        self._made = lru_cache(maxsize=4096)(super().__call__)

    def __getitem__(self, name):
        key = name.lower()
        if key not in self._classes:
            self._classes[key] = super().__getitem__(name)
        return self._classes[key]

    def __call__(self, name, value):
        # Only text is remembered: an Address given as a value is parsed as usual.
        return self._made(name, value) if type(value) is str else super().__call__(name, value)


class QuickFolding(EmailPolicy):
    def fold(self, name, value):
        return _folded(self, name, value, False)

    def fold_binary(self, name, value):
        return _folded(self, name, value, True)

    def _fold_anew(self, name, value, binary: bool):
        folded = self._quick(name, value)
        if folded is not None:
            return folded.encode("ascii") if binary else folded
        return super().fold_binary(name, value) if binary else super().fold(name, value)

    def _quick(self, name: str, value) -> str | None:
        if self.utf8 or str(value).isascii():
            return None  # nothing to encode, or the server takes UTF-8 as it is
        width = self.max_line_length or 78
        if isinstance(value, UnstructuredHeader):
            encoded = Header(str(value), CHARSET, maxlinelen=width, header_name=name).encode(linesep=self.linesep)
            return f"{name}: {encoded}{self.linesep}"
        if isinstance(value, AddressHeader) and len(value.groups) == 1 and value.groups[0].display_name is None:
            (address,) = value.addresses
            if not address.addr_spec.isascii() or not address.display_name:
                return None
            encoded = Header(address.display_name, CHARSET, maxlinelen=width, header_name=name).encode(
                linesep=self.linesep)
            folded = f"{name}: {encoded}"
            # The address goes on the last line of the name, or on a line of its own.
            last = folded.rsplit(self.linesep, 1)[-1]
            gap = " " if len(last) + len(address.addr_spec) + 3 <= width else f"{self.linesep} "
            return f"{folded}{gap}<{address.addr_spec}>{self.linesep}"
        return None


@lru_cache(maxsize=4096)
def _folded(policy: QuickFolding, name: str, value, binary: bool):
    """A header folds the same way every time: its text (and its name, which gives its kind)
    is all the folding reads. Policies compare by identity, so a clone has its own entries."""
    return policy._fold_anew(name, value, binary)


# email.policy.SMTP, with the folding above.
SMTP = QuickFolding(linesep="\r\n", header_factory=SharedHeaders())
