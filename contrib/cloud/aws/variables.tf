# The defaults are the reference VPC of zones/reference.json (10.0.0.0/16,
# one subnet per zone), with a second airlock instance in another
# availability zone.  tests/e2e/cloud.sh checks them against what
# `airlock policy render --target aws` writes for that config.

variable "region" {
  description = "The AWS region of the VPC (network.aws.region)."
  type        = string
  default     = "us-east-1"
}

variable "vpc_id" {
  description = "The VPC of the zones (network.aws.vpc_id)."
  type        = string
  default     = "vpc-0abc1234def567890"
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

variable "zone_subnet_ids" {
  description = "Each zone's subnets (network.aws.subnets).  Management has two, one per availability zone, for the two airlock instances."
  type        = map(list(string))
  default = {
    application = ["subnet-0a1b2c3d4e5f60101"]
    inference   = ["subnet-0a1b2c3d4e5f60201"]
    data        = ["subnet-0a1b2c3d4e5f60301"]
    management  = ["subnet-0a1b2c3d4e5f60401", "subnet-0a1b2c3d4e5f60402"]
    sandbox     = ["subnet-0a1b2c3d4e5f60501"]
  }
}

variable "endpoint_zone" {
  description = "The zone whose subnets hold the AI endpoints: the one the rules let reach external_ai (NET-002)."
  type        = string
  default     = "inference"
}

variable "dns_servers" {
  description = "The airlock instances' private addresses, one per instance, at most four (network.dns_servers).  Each lies in the management subnet of the same index."
  type        = list(string)
  default     = ["10.0.4.53", "10.0.4.153"]
}

variable "dhcp_domain_name" {
  description = "The DHCP options' domain name: ec2.internal in us-east-1, REGION.compute.internal elsewhere."
  type        = string
  default     = "ec2.internal"
}

variable "vpc_resolver" {
  description = "airlock's upstream: the Route 53 Resolver, 169.254.169.253 (Nitro instances) or the VPC CIDR base +2 (10.0.0.2 here)."
  type        = string
  default     = "169.254.169.253"
}

variable "airlock_config" {
  description = "The airlock config the instances start from; listen, upstreams and network.dns_servers are set per instance."
  type        = string
  default     = "../../../zones/reference.json"
}

variable "ami_id" {
  description = "An AMI with airlock installed (make install: airlockd, the unit, /etc/airlock) and the airlock system user."
  type        = string
}

variable "instance_type" {
  description = "The airlock instances' type: Nitro, for 169.254.169.253."
  type        = string
  default     = "t3.small"
}
