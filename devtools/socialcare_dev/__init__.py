"""Development tools of the social care pipeline, kept out of the product's wheel and
image: the local Kafka and Elasticsearch stack, the demo, sample traffic, tracking of
events through the pipeline, and a supervisor that runs the services as processes.

Installed from ``devtools/`` (``scripts/bootstrap.sh`` does it); it adds the ``stack``
and ``demo`` commands to the ``socialcare`` CLI.
"""
