"""Moving from a running SuperTokens core to authstate without signing anyone out (``authstate-migrate``):
the importer, the catch-up, the cutover hold and the ``check`` command. README: "Moving from a SuperTokens
core"; docs/design.md §12."""
