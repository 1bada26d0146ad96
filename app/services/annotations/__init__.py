"""Annotations: analysts' notes, tags, assessments, questions, links and replies.

`reads` decides who sees what (hidden annotations only to curators and their creator, deleted
ones as tombstones) and assembles lists, threads, versions and counts; `writes` creates,
edits, deletes, flags, hides and unhides, each in one transaction with its version row and its
change-log row. Anything about an annotation's visibility or history belongs here.
"""
