"""Cross-cutting pieces shared by every feature; imports no feature package."""
