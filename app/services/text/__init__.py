"""Source text: anchoring quotes at Unicode code-point offsets, half-open [start, end), with
their context (`spans`), and deriving the canonical text of a saved web article
(`preparation`), so every offset can be checked by anyone holding the same original.
"""
