# Search synonyms (web/console/synonyms.rs).
synonyms-title = Synonyms
synonyms-new = New synonym group
synonyms-edit = Edit
synonyms-delete = Delete
synonyms-none = No synonyms: search finds only the words typed.
synonyms-explained = A search for one word of a group also finds the group's other words ("disk" also finds the Chinese words for a disk). Changes apply to the next search; nothing is re-indexed.
field-synonym-words = Words (separated by commas)
