"""Provisioning: how radbill touches the network (CoA, RouterOS API, SNMP, OLTs)."""
