"""The CDI's shapes, declared once: ``common`` (what every route's share), and one module per router of
``cdi.routes`` with its requests and answers."""
