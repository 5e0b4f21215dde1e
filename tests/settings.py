"""Settings for tests, built as the functions build theirs (``Settings.from_environment``): the
template's tables, and the given variables on top."""

from functools import cache

from authstate.config import Settings
from tools.localrun.template import Template


@cache
def _tables() -> dict[str, str]:
    template = Template.load()
    return {
        "USER_METADATA_TABLE": template.table_name("UserMetadataTable"),
        "SESSIONS_TABLE": template.table_name("SessionsTable"),
        "SESSION_DATA_TABLE": template.table_name("SessionDataTable"),
        "SIGNING_KEYS_TABLE": template.table_name("SigningKeysTable"),
    }


def settings_with(**variables: str) -> Settings:
    return Settings.from_environment({**_tables(), **variables})
