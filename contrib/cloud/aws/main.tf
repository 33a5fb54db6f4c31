# airlock in an AWS VPC: two airlock instances in two availability zones,
# handed out to every instance of the VPC by a DHCP options set; only the
# zone subnets may reach them on UDP and TCP 53; they forward to the
# Route 53 Resolver; the Bedrock runtime is reached through an interface
# endpoint with private DNS.  See README.md.
#
# The blocks marked "rendered too" are also written by
#   airlock policy render -c airlock.json --target aws --format terraform
# under the same resource addresses and with the same values (checked by
# tests/e2e/cloud.sh): you can replace them by the rendered aws.tf.json at
# any time and Terraform sees no change.

terraform {
  required_version = ">= 1.3"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

provider "aws" {
  region = var.region
}

locals {
  base_config = jsondecode(file("${path.module}/${var.airlock_config}"))

  # One config per instance: it listens on its own address (and loopback,
  # for its own host), forwards to the Route 53 Resolver, never to
  # /etc/resolv.conf (which DHCP now points at airlock itself).
  airlock_configs = [for ip in var.dns_servers : merge(local.base_config, {
    user = "airlock"
    listen = [
      { address = ip, port = 53 },
      { address = "127.0.0.1", port = 53 },
    ]
    upstreams = [{ address = var.vpc_resolver, port = 53 }]
    network   = merge(local.base_config.network, { dns_servers = var.dns_servers })
  })]

  # DNS from every zone subnet to airlock, UDP and TCP.
  dns_ingress = merge([for zone, cidr in var.zone_cidrs : {
    for proto in ["udp", "tcp"] : "${zone}_${proto}" => { zone = zone, cidr = cidr, proto = proto }
  }]...)
}

# ----- airlock -------------------------------------------------------------

resource "aws_security_group" "airlock_dns" {
  name        = "airlock-dns"
  description = "airlock: DNS (UDP and TCP 53) from the zone subnets only"
  vpc_id      = var.vpc_id
  tags = {
    Name = "airlock-dns"
  }
}

resource "aws_vpc_security_group_ingress_rule" "airlock_dns" {
  for_each          = local.dns_ingress
  security_group_id = aws_security_group.airlock_dns.id
  description       = "zone ${each.value.zone}: DNS"
  ip_protocol       = each.value.proto
  from_port         = 53
  to_port           = 53
  cidr_ipv4         = each.value.cidr
}

# Traffic to the Route 53 Resolver is not filtered by security groups; this
# is for package updates and Systems Manager (the management zone's NET-006).
resource "aws_vpc_security_group_egress_rule" "airlock_https" {
  security_group_id = aws_security_group.airlock_dns.id
  description       = "updates and SSM (NET-006)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_instance" "airlock" {
  count                  = length(var.dns_servers)
  ami                    = var.ami_id
  instance_type          = var.instance_type
  subnet_id              = var.zone_subnet_ids["management"][count.index]
  private_ip             = var.dns_servers[count.index]
  vpc_security_group_ids = [aws_security_group.airlock_dns.id]

  metadata_options {
    http_tokens = "required"
  }

  user_data = <<-EOT
    #!/bin/sh
    set -e
    cat >/etc/airlock/airlock.json <<'JSON'
    ${jsonencode(local.airlock_configs[count.index])}
    JSON
    airlockd -t -c /etc/airlock/airlock.json
    systemctl enable --now airlockd
  EOT

  tags = {
    Name = "airlock-${count.index}"
  }
}

# ----- DHCP: every instance of the VPC asks airlock (rendered too) ---------

resource "aws_vpc_dhcp_options" "airlock" {
  domain_name         = var.dhcp_domain_name
  domain_name_servers = var.dns_servers
  tags = {
    Name = "airlock"
  }
}

resource "aws_vpc_dhcp_options_association" "airlock" {
  vpc_id          = var.vpc_id
  dhcp_options_id = aws_vpc_dhcp_options.airlock.id
}

# ----- Bedrock runtime over an interface endpoint (rendered too) -----------

resource "aws_security_group" "ai_endpoints" {
  name        = "airlock-ai-endpoints"
  description = "airlock: HTTPS to the AI service endpoints from the zones allowed to reach external_ai"
  vpc_id      = var.vpc_id
  tags = {
    Name = "airlock-ai-endpoints"
  }
}

resource "aws_vpc_security_group_ingress_rule" "https_from_inference_1" {
  security_group_id = aws_security_group.ai_endpoints.id
  description       = "zone inference: NET-002"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = var.zone_cidrs["inference"]
}

resource "aws_vpc_endpoint" "bedrock_runtime" {
  vpc_id              = var.vpc_id
  service_name        = "com.amazonaws.${var.region}.bedrock-runtime"
  vpc_endpoint_type   = "Interface"
  subnet_ids          = var.zone_subnet_ids[var.endpoint_zone]
  security_group_ids  = [aws_security_group.ai_endpoints.id]
  private_dns_enabled = true
  policy              = file("${path.module}/aws-bedrock-endpoint-policy.json")
}

output "airlock_addresses" {
  description = "The resolvers every instance of the VPC now gets by DHCP."
  value       = aws_vpc_dhcp_options.airlock.domain_name_servers
}
