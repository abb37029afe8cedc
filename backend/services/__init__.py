"""The domain: one package per bounded context, plus the few pieces they share.

Contexts: catalog (事项目录), identity (people, enterprises, privacy), cases (办件), licenses (电子证照),
notifications (the inbox and push subscriptions), bookings (预约), ratings (好差评). Shared: errors, pagination, batch, insert_order,
tail_feed, workdays. Nothing here imports strawberry, starlette, backend.schema, backend.resolvers
or backend.auth (tests/test_layers.py): GraphQL and HTTP are adapters over this package.
"""
