# airlock in a GCP VPC network: two airlock VMs in two zones; every zone VM's
# guest resolver points at them (GCP's DHCP always hands out the metadata
# server, 169.254.169.254, and cannot be changed); only the zone subnets may
# reach them on UDP and TCP 53; they forward to the metadata server, which
# answers the private googleapis.com zone below, so Google API names
# (Vertex AI included) resolve to restricted.googleapis.com.  See README.md.
#
# The blocks marked "rendered too" are also written by
#   airlock policy render -c airlock.json --target gcp
# under the same resource addresses and with the same values (checked by
# tests/e2e/cloud.sh): you can replace them by the rendered gcp.tf.json,
# which also holds the egress deny rules, and Terraform sees no change.

terraform {
  required_version = ">= 1.3"
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 5.0"
    }
  }
}

provider "google" {
  project = var.project
  region  = var.region
}

locals {
  base_config = jsondecode(file("${path.module}/${var.airlock_config}"))

  # One config per VM: its own address and loopback; the metadata server as
  # the only upstream.
  airlock_configs = [for ip in var.dns_servers : merge(local.base_config, {
    user = "airlock"
    listen = [
      { address = ip, port = 53 },
      { address = "127.0.0.1", port = 53 },
    ]
    upstreams = [{ address = var.metadata_resolver, port = 53 }]
    network   = merge(local.base_config.network, { dns_servers = var.dns_servers })
  })]

  # For every zone VM (metadata key startup-script, or the image): make
  # airlock the guest resolver, whatever the image uses.  GCP's DHCP keeps
  # offering 169.254.169.254; this stops the guest from taking it.
  guest_resolver_script = <<-EOT
    #!/bin/sh
    # Point this VM's resolver at airlock: ${join(" ", var.dns_servers)}
    set -e
    servers="${join(" ", var.dns_servers)}"
    if [ -d /run/systemd/network ] || [ -d /etc/systemd/network ]; then
      # systemd-networkd (Debian 12+ and Ubuntu images, through netplan)
      for f in /run/systemd/network/*.network /etc/systemd/network/*.network; do
        [ -e "$f" ] || continue
        d=/etc/systemd/network/$(basename "$f").d
        mkdir -p "$d"
        {
          printf '[Network]\n'
          for s in $servers; do printf 'DNS=%s\n' "$s"; done
          printf 'Domains=~.\n[DHCPv4]\nUseDNS=no\n[DHCPv6]\nUseDNS=no\n'
        } >"$d/airlock-dns.conf"
      done
      networkctl reload
    fi
    if [ -f /etc/dhcp/dhclient.conf ]; then
      # dhclient images
      grep -q '^supersede domain-name-servers' /etc/dhcp/dhclient.conf ||
        echo "supersede domain-name-servers $(echo $servers | sed 's/ /, /g');" >>/etc/dhcp/dhclient.conf
    fi
    if [ ! -L /etc/resolv.conf ]; then
      for s in $servers; do echo "nameserver $s"; done >/etc/resolv.conf
    fi
  EOT
}

# ----- airlock -------------------------------------------------------------

resource "google_compute_firewall" "airlock_dns" {
  name          = "airlock-dns-from-zones"
  project       = var.project
  network       = var.network
  description   = "airlock: DNS (UDP and TCP 53) from the zone subnets only"
  direction     = "INGRESS"
  priority      = 1000
  target_tags   = ["airlock-dns"]
  source_ranges = values(var.zone_cidrs)

  allow {
    protocol = "udp"
    ports    = ["53"]
  }

  allow {
    protocol = "tcp"
    ports    = ["53"]
  }
}

resource "google_compute_instance" "airlock" {
  count        = length(var.dns_servers)
  name         = "airlock-${count.index}"
  project      = var.project
  zone         = var.zones[count.index]
  machine_type = var.machine_type
  tags         = ["airlock-dns", "airlock-management"]

  boot_disk {
    initialize_params {
      image = var.image
    }
  }

  network_interface {
    subnetwork = var.airlock_subnetwork
    network_ip = var.dns_servers[count.index]
  }

  metadata = {
    startup-script = <<-EOT
      #!/bin/sh
      set -e
      cat >/etc/airlock/airlock.json <<'JSON'
      ${jsonencode(local.airlock_configs[count.index])}
      JSON
      airlockd -t -c /etc/airlock/airlock.json
      systemctl enable --now airlockd
    EOT
  }
}

# Cloud DNS logging only (no alternative name servers): queries the
# metadata server receives from any VM, so a zone VM that bypasses airlock
# (the metadata server cannot be firewalled) shows up with its address.
resource "google_dns_policy" "logging" {
  name           = "airlock-dns-logging"
  project        = var.project
  enable_logging = true

  networks {
    network_url = "projects/${var.project}/global/networks/${var.network}"
  }
}

# ----- Google APIs through restricted.googleapis.com (rendered too) ---------

resource "google_compute_firewall" "airlock_inference_allow_restricted_vip" {
  name               = "airlock-inference-allow-restricted-vip"
  project            = var.project
  network            = var.network
  description        = "airlock: zone inference may reach external_ai (NET-002): HTTPS to restricted.googleapis.com"
  direction          = "EGRESS"
  priority           = 1000
  target_tags        = ["airlock-inference"]
  destination_ranges = ["199.36.153.4/30"]

  allow {
    protocol = "tcp"
    ports    = ["443"]
  }
}

resource "google_dns_managed_zone" "googleapis" {
  name        = "airlock-googleapis"
  project     = var.project
  dns_name    = "googleapis.com."
  description = "airlock: every Google API name to restricted.googleapis.com (VPC Service Controls)"
  visibility  = "private"

  private_visibility_config {
    networks {
      network_url = "projects/${var.project}/global/networks/${var.network}"
    }
  }
}

resource "google_dns_record_set" "restricted_googleapis" {
  project      = var.project
  managed_zone = google_dns_managed_zone.googleapis.name
  name         = "restricted.googleapis.com."
  type         = "A"
  ttl          = 300
  rrdatas      = ["199.36.153.4", "199.36.153.5", "199.36.153.6", "199.36.153.7"]
}

resource "google_dns_record_set" "googleapis_cname" {
  project      = var.project
  managed_zone = google_dns_managed_zone.googleapis.name
  name         = "*.googleapis.com."
  type         = "CNAME"
  ttl          = 300
  rrdatas      = ["restricted.googleapis.com."]
}

output "guest_resolver_startup_script" {
  description = "Run on every zone VM (metadata startup-script, or baked into the image)."
  value       = local.guest_resolver_script
}
