"""Policy packs for flink-cells: rules over the resource graph, run by Pulumi or offline."""
