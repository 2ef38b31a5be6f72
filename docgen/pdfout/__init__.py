"""Finishing PDFs: metadata and encryption, print packs, and Notify letter checks."""

from docgen.pdfout.finish import finish_pdf
from docgen.pdfout.letter_check import LetterProblem, check_letter
from docgen.pdfout.pack import Pack, PackEntry, make_pack

__all__ = ["LetterProblem", "Pack", "PackEntry", "check_letter", "finish_pdf", "make_pack"]
