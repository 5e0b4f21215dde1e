"""The user-metadata service, built once per warm Lambda from the settings (Powertools ``Depends``;
tests override it with ``app.dependency_overrides``). Annotations are real types (see ``providers``)."""

from functools import cache

from authstate import providers
from authstate.recipe.usermetadata.service import UserMetadata
from authstate.recipe.usermetadata.store import MetadataStore


@cache
def user_metadata() -> UserMetadata:
    table = providers.table(providers.settings().user_metadata_table)
    return UserMetadata(MetadataStore(table, sleep=providers.clock().sleep))
