"""Pure rules for JSON documents (no I/O): the merge rule, strict JSON and the UpdateItem builder."""
