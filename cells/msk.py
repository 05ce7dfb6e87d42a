"""What Amazon MSK accepts, as the MSK API spells it."""

# Kafka versions MSK accepts for a new provisioned cluster whose topics are managed through the
# MSK API (Kafka 3.6 or later), before their end of support: the ZooKeeper-mode `x.y.x` strings
# and their KRaft `x.y.x.kraft` forms; 4.x runs in KRaft mode only. 4.2.x.kraft is left out:
# MSK offers it on Express brokers only. Sources: the MSK developer guide, "Supported Apache
# Kafka versions" and "KRaft mode" (the CreateCluster API takes 3.7.x.kraft for KRaft).
KAFKA_VERSIONS = (
    "3.6.0",
    "3.7.x",
    "3.7.x.kraft",
    "3.8.x",
    "3.8.x.kraft",
    "3.9.x",
    "3.9.x.kraft",
    "4.0.x.kraft",
    "4.1.x.kraft",
)
