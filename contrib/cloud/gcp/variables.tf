# The defaults are the reference network of zones/reference.json
# (network.gcp), with two airlock VMs in two zones of one region.
# tests/e2e/cloud.sh checks them against what
# `airlock policy render --target gcp` writes for that config.

variable "project" {
  description = "The project of the VPC network (network.gcp.project)."
  type        = string
  default     = "airlock-ai-prod"
}

variable "network" {
  description = "The VPC network of the zones (network.gcp.network)."
  type        = string
  default     = "airlock-vpc"
}

variable "region" {
  description = "The region of the management subnet."
  type        = string
  default     = "us-central1"
}

variable "zones" {
  description = "One Compute Engine zone per airlock VM."
  type        = list(string)
  default     = ["us-central1-a", "us-central1-b"]
}

variable "airlock_subnetwork" {
  description = "The management zone's subnet (10.0.4.0/24), where the airlock VMs live."
  type        = string
  default     = "airlock-management"
}

variable "zone_cidrs" {
  description = "Each zone's CIDR, as in the config's zones[].cidrs."
  type        = map(string)
  default = {
    application = "10.0.1.0/24"
    inference   = "10.0.2.0/24"
    data        = "10.0.3.0/24"
    management  = "10.0.4.0/24"
    sandbox     = "10.0.5.0/24"
  }
}

variable "dns_servers" {
  description = "The airlock VMs' internal addresses, one per VM."
  type        = list(string)
  default     = ["10.0.4.53", "10.0.4.153"]
}

variable "metadata_resolver" {
  description = "airlock's upstream: the metadata server's resolver, which answers the network's private Cloud DNS zones."
  type        = string
  default     = "169.254.169.254"
}

variable "airlock_config" {
  description = "The airlock config the VMs start from; listen, upstreams and network.dns_servers are set per VM."
  type        = string
  default     = "../../../zones/reference.json"
}

variable "image" {
  description = "A boot image with airlock installed (make install: airlockd, the unit, /etc/airlock) and the airlock system user."
  type        = string
}

variable "machine_type" {
  description = "The airlock VMs' machine type."
  type        = string
  default     = "e2-small"
}
