"""A minimal faust worker built with the shared app factory, for the round-trip test.

It reads events from $ECHO_SOURCE, validates them with the shared schema, and
republishes them to $ECHO_SINK with the text upper-cased (proof it went through).
"""

import os

from socialcare.kafka import faust_app
from socialcare.schema import Event
from socialcare.settings import Settings

app = faust_app(os.environ["ECHO_APP_ID"], Settings())
source = app.topic(os.environ["ECHO_SOURCE"], key_serializer="raw", value_serializer="raw")
sink = app.topic(os.environ["ECHO_SINK"], key_serializer="raw", value_serializer="raw")


@app.agent(source)
async def echo(stream):
    async for key, value in stream.items():
        event = Event.model_validate_json(value)
        shouted = event.model_copy(update={"text": event.text.upper()})
        await sink.send(key=key, value=shouted.to_bytes())


if __name__ == "__main__":
    app.main()
