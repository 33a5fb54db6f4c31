# airlock in an Azure VNet: two airlock VMs in two availability zones are the
# VNet's custom DNS servers; only the zone subnets may reach them on UDP and
# TCP 53; they forward to Azure DNS (168.63.129.16), which answers the
# privatelink.openai.azure.com zone linked to the VNet, so the Azure OpenAI
# account's name resolves to its private endpoint.  See README.md.
#
# The Azure OpenAI resources carry the names and values of
#   airlock policy render -c airlock.json --target azure
# (azure-openai-private.bicep and azure-vnet-dns.json; checked by
# tests/e2e/cloud.sh): deploy either, not both.

terraform {
  required_version = ">= 1.3"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.80"
    }
  }
}

provider "azurerm" {
  features {}
}

data "azurerm_virtual_network" "zones" {
  name                = var.vnet
  resource_group_name = var.resource_group
}

data "azurerm_subnet" "endpoint" {
  name                 = var.zone_subnets[var.endpoint_zone]
  virtual_network_name = var.vnet
  resource_group_name  = var.resource_group
}

data "azurerm_subnet" "airlock" {
  name                 = var.zone_subnets["management"]
  virtual_network_name = var.vnet
  resource_group_name  = var.resource_group
}

locals {
  base_config = jsondecode(file("${path.module}/${var.airlock_config}"))

  # One config per VM: its own address and loopback; Azure DNS as the only
  # upstream (never /etc/resolv.conf, which the VNet now points at airlock).
  airlock_configs = [for ip in var.dns_servers : merge(local.base_config, {
    user = "airlock"
    listen = [
      { address = ip, port = 53 },
      { address = "127.0.0.1", port = 53 },
    ]
    upstreams = [{ address = var.azure_dns, port = 53 }]
    network   = merge(local.base_config.network, { dns_servers = var.dns_servers })
  })]
}

# ----- airlock -------------------------------------------------------------

resource "azurerm_network_security_group" "airlock" {
  name                = "nsg-airlock-dns"
  location            = var.location
  resource_group_name = var.resource_group

  security_rule {
    name                       = "dns-from-zones"
    priority                   = 100
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "53"
    source_address_prefixes    = values(var.zone_cidrs)
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "no-dns-from-elsewhere"
    priority                   = 110
    direction                  = "Inbound"
    access                     = "Deny"
    protocol                   = "*"
    source_port_range          = "*"
    destination_port_range     = "53"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

resource "azurerm_network_interface" "airlock" {
  count               = length(var.dns_servers)
  name                = "nic-airlock-${count.index}"
  location            = var.location
  resource_group_name = var.resource_group

  ip_configuration {
    name                          = "primary"
    subnet_id                     = data.azurerm_subnet.airlock.id
    private_ip_address_allocation = "Static"
    private_ip_address            = var.dns_servers[count.index]
  }
}

resource "azurerm_network_interface_security_group_association" "airlock" {
  count                     = length(var.dns_servers)
  network_interface_id      = azurerm_network_interface.airlock[count.index].id
  network_security_group_id = azurerm_network_security_group.airlock.id
}

resource "azurerm_linux_virtual_machine" "airlock" {
  count                 = length(var.dns_servers)
  name                  = "vm-airlock-${count.index}"
  location              = var.location
  resource_group_name   = var.resource_group
  zone                  = var.availability_zones[count.index]
  size                  = var.vm_size
  admin_username        = "azureuser"
  network_interface_ids = [azurerm_network_interface.airlock[count.index].id]
  source_image_id       = var.image_id

  admin_ssh_key {
    username   = "azureuser"
    public_key = var.admin_ssh_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Standard_LRS"
  }

  custom_data = base64encode(<<-EOT
    #!/bin/sh
    set -e
    cat >/etc/airlock/airlock.json <<'JSON'
    ${jsonencode(local.airlock_configs[count.index])}
    JSON
    airlockd -t -c /etc/airlock/airlock.json
    systemctl enable --now airlockd
  EOT
  )
}

# ----- the VNet's DNS servers: airlock (azure-vnet-dns.json) ---------------
# VMs take the change at their next DHCP renewal: restart them (or renew).

resource "azurerm_virtual_network_dns_servers" "airlock" {
  virtual_network_id = data.azurerm_virtual_network.zones.id
  dns_servers        = var.dns_servers
}

# ----- Azure OpenAI over a private endpoint (azure-openai-private.bicep) ---

resource "azurerm_cognitive_account" "openai" {
  name                          = var.openai_account
  location                      = var.location
  resource_group_name           = var.resource_group
  kind                          = "OpenAI"
  sku_name                      = "S0"
  custom_subdomain_name         = var.openai_account
  public_network_access_enabled = false

  network_acls {
    default_action = "Deny"
  }
}

resource "azurerm_private_dns_zone" "openai" {
  name                = "privatelink.openai.azure.com"
  resource_group_name = var.resource_group
}

# Linked to the VNet airlock runs in: Azure DNS answers the zone only to
# queries from linked VNets, and airlock's queries come from this one.
resource "azurerm_private_dns_zone_virtual_network_link" "openai" {
  name                  = "${var.vnet}-link"
  resource_group_name   = var.resource_group
  private_dns_zone_name = azurerm_private_dns_zone.openai.name
  virtual_network_id    = data.azurerm_virtual_network.zones.id
  registration_enabled  = false
}

resource "azurerm_private_endpoint" "openai" {
  name                = "pe-${var.openai_account}"
  location            = var.location
  resource_group_name = var.resource_group
  subnet_id           = data.azurerm_subnet.endpoint.id

  private_service_connection {
    name                           = var.openai_account
    private_connection_resource_id = azurerm_cognitive_account.openai.id
    subresource_names              = ["account"]
    is_manual_connection           = false
  }

  private_dns_zone_group {
    name                 = "default"
    private_dns_zone_ids = [azurerm_private_dns_zone.openai.id]
  }
}

output "airlock_addresses" {
  description = "The VNet's DNS servers."
  value       = azurerm_virtual_network_dns_servers.airlock.dns_servers
}

output "openai_private_ip" {
  description = "The private endpoint's address: put it (or its subnet) in endpoints.private_cidrs."
  value       = azurerm_private_endpoint.openai.private_service_connection[0].private_ip_address
}
