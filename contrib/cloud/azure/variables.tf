# The defaults are the reference VNet of zones/reference.json (network.azure),
# with a second airlock VM in another availability zone.  tests/e2e/cloud.sh
# checks them against what `airlock policy render --target azure` writes for
# that config.

variable "resource_group" {
  description = "The resource group of the VNet and the Azure OpenAI account (network.azure.resource_group)."
  type        = string
  default     = "rg-airlock-ai"
}

variable "location" {
  description = "The Azure region (network.azure.location)."
  type        = string
  default     = "eastus2"
}

variable "vnet" {
  description = "The virtual network of the zones (network.azure.vnet)."
  type        = string
  default     = "vnet-airlock"
}

variable "zone_subnets" {
  description = "Each zone's subnet name (network.azure.subnets)."
  type        = map(string)
  default = {
    application = "snet-application"
    inference   = "snet-inference"
    data        = "snet-data"
    management  = "snet-management"
    sandbox     = "snet-sandbox"
  }
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

variable "endpoint_zone" {
  description = "The zone whose subnet holds the private endpoint: the one the rules let reach external_ai (NET-002)."
  type        = string
  default     = "inference"
}

variable "openai_account" {
  description = "The Azure OpenAI account, also its custom subdomain (network.azure.openai_account)."
  type        = string
  default     = "oai-airlock-prod"
}

variable "dns_servers" {
  description = "The airlock VMs' private addresses in the management subnet, one per VM (network.dns_servers)."
  type        = list(string)
  default     = ["10.0.4.53", "10.0.4.153"]
}

variable "availability_zones" {
  description = "One availability zone per airlock VM."
  type        = list(string)
  default     = ["1", "2"]
}

variable "azure_dns" {
  description = "airlock's upstream: Azure DNS, which answers the private DNS zones linked to the VNet."
  type        = string
  default     = "168.63.129.16"
}

variable "airlock_config" {
  description = "The airlock config the VMs start from; listen, upstreams and network.dns_servers are set per VM."
  type        = string
  default     = "../../../zones/reference.json"
}

variable "image_id" {
  description = "A VM image with airlock installed (make install: airlockd, the unit, /etc/airlock) and the airlock system user."
  type        = string
}

variable "admin_ssh_key" {
  description = "The public SSH key of the VMs' admin user."
  type        = string
}

variable "vm_size" {
  description = "The airlock VMs' size."
  type        = string
  default     = "Standard_B2s"
}
