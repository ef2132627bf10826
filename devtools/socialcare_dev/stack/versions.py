"""Pinned server versions of the local stack (and of docker-compose.yml)."""

KAFKA_VERSION = "4.1.1"
KAFKA_SCALA = "2.13"
# The kafka_2.13 POM brings no logging backend; without these the broker logs nothing.
LOG4J_VERSION = "2.24.3"
# Elastic's integ-test-zip: the core server only (no analysis-common, painless or
# reindex modules) but the same engine, REST API and mappings as the full release.
ELASTICSEARCH_VERSION = "8.19.7"
