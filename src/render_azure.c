/* Azure from the zone policy catalog: Bicep for an Azure OpenAI account
 * reachable only through a private endpoint in the subnet of the zone the
 * rules allow to reach external_ai (public access disabled, network ACLs
 * denying by default), the privatelink zone the AI endpoint catalog names
 * for it, the zone's VNet link and the endpoint's DNS zone group; and the
 * VNet's custom DNS servers (airlock's addresses).  See render.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airlock/catalog.h"
#include "airlock/msg.h"
#include "airlock/render.h"

#define AZURE_OPENAI "azure-openai" /* the catalog entry of Azure OpenAI */
#define NETWORK_API "2023-11-01"

struct azure {
	const struct al_config *cfg;
	const struct al_network_azure *z;
	const struct al_render_zone *zone; /* where the private endpoint goes */
	const char *subnet;
	char dns_zone[256];                /* "privatelink.openai.azure.com" */
};

static int facts(struct azure *w, struct al_render_zone *zones, struct al_err *err)
{
	const struct al_config *cfg = w->cfg;
	const struct al_network_azure *z = &cfg->network.azure;
	const struct al_catalog_ep *ep = al_catalog_find(cfg->catalog, AZURE_OPENAI);
	const struct al_zone_subnets *s = NULL;
	char path[128], why[192], ids[96];
	size_t n, i;
	int rc;

	w->z = z;
	if (!z->given)
		return al_render_missing(cfg, err, "network.azure",
					 "{\"resource_group\", \"location\", \"vnet\", \"subnets\", \"openai_account\"} to render for Azure");
	if (!z->resource_group)
		return al_render_missing(cfg, err, "network.azure.resource_group",
					 "the resource group deployed into, e.g. \"rg-airlock-ai\"");
	if (!z->location)
		return al_render_missing(cfg, err, "network.azure.location", "the Azure region, e.g. \"eastus2\"");
	if (!z->vnet)
		return al_render_missing(cfg, err, "network.azure.vnet",
					 "the virtual network of the zones, e.g. \"vnet-airlock\"");
	if (!z->nsubnets)
		return al_render_missing(cfg, err, "network.azure.subnets",
					 "the subnet name of the zones, e.g. {\"inference\": \"snet-inference\"}");
	if (!z->openai_account)
		return al_render_missing(cfg, err, "network.azure.openai_account",
					 "the Azure OpenAI account name, e.g. \"oai-airlock-prod\"");
	if (!cfg->network.ndns_servers)
		return al_render_missing(cfg, err, "network.dns_servers",
					 "airlock's addresses for the VNet's DNS servers, e.g. [\"10.0.4.53\"]");
	if ((rc = al_render_check_subnet_zones(cfg, z->subnets, z->nsubnets, "network.azure.subnets", err)) < 0)
		return rc;
	if (!(n = al_render_ai_zones(cfg, zones, cfg->nzones)))
		return al_err_set(err, "%s: rules: no zone may reach external_ai on TCP 443 (expected an allow such as {\"from\": \"inference\", \"to\": \"external_ai\", \"proto\": \"https\", \"action\": \"allow\"}): the private endpoint would serve no zone",
				  al_render_file(cfg));
	/* One private endpoint per VNet: in the first allowed zone with a subnet. */
	for (i = 0; i < n && !s; i++)
		if ((s = al_network_subnets(z->subnets, z->nsubnets, cfg->zones[zones[i].zone].name)))
			w->zone = &zones[i];
	if (!s) {
		snprintf(path, sizeof(path), "network.azure.subnets.%s", cfg->zones[zones[0].zone].name);
		snprintf(why, sizeof(why), "the subnet of zone %s, which %s allows to reach external_ai",
			 cfg->zones[zones[0].zone].name, al_render_rule_ids(&zones[0], ids, sizeof(ids)));
		return al_render_missing(cfg, err, path, why);
	}
	w->subnet = s->ids[0];
	if (!ep || !ep->ncname_suffixes ||
	    al_msg_name_to_text(ep->cname_suffixes[0].name, w->dns_zone, sizeof(w->dns_zone)) < 2)
		return al_err_set(err, "%s: endpoints.catalog: no \"%s\" entry with a privatelink zone (expected its cname_suffixes, e.g. [\"privatelink.openai.azure.com\"])",
				  al_render_file(cfg), AZURE_OPENAI);
	w->dns_zone[strlen(w->dns_zone) - 1] = '\0'; /* the trailing dot */
	return 0;
}

/* A Bicep string: quotes, backslashes and interpolations escaped. */
static void bicep_string(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'' || *s == '\\' || *s == '$')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

/* Writes fmt, where each %s is a Bicep string of the next argument. */
static void bicep(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (fmt[0] == '%' && fmt[1] == 's') {
			bicep_string(f, va_arg(ap, const char *));
			fmt++;
		} else {
			fputc(*fmt, f);
		}
	}
	va_end(ap);
}

static void write_bicep(const struct azure *w, FILE *f)
{
	const struct al_network_azure *z = w->z;
	char ids[96], link[96], pe[96], config[256];
	size_t i;

	snprintf(link, sizeof(link), "%s-link", z->vnet);
	snprintf(pe, sizeof(pe), "pe-%s", z->openai_account);
	for (i = 0; w->dns_zone[i] && i + 1 < sizeof(config); i++)
		config[i] = w->dns_zone[i] == '.' ? '-' : w->dns_zone[i];
	config[i] = '\0';
	fprintf(f, "// Azure OpenAI reachable only through a private endpoint.\n"
		   "//   account:          %s (public network access disabled)\n"
		   "//   private endpoint: subnet %s of zone %s (%s)\n"
		   "//   private DNS zone: %s, linked to %s\n"
		   "// Rendered by airlock policy render from the zone policy catalog: re-render\n"
		   "// rather than edit.  Deploy with\n"
		   "//   az deployment group create --resource-group %s \\\n"
		   "//     --template-file azure-openai-private.bicep\n\n",
		z->openai_account, w->subnet, w->cfg->zones[w->zone->zone].name,
		al_render_rule_ids(w->zone, ids, sizeof(ids)), w->dns_zone, z->vnet, z->resource_group);
	bicep(f, "param location string = %s\n\n", z->location);
	bicep(f, "resource vnet 'Microsoft.Network/virtualNetworks@" NETWORK_API "' existing = {\n"
		 "  name: %s\n"
		 "}\n\n", z->vnet);
	bicep(f, "resource endpointSubnet 'Microsoft.Network/virtualNetworks/subnets@" NETWORK_API "' existing = {\n"
		 "  parent: vnet\n"
		 "  name: %s\n"
		 "}\n\n", w->subnet);
	bicep(f, "resource openai 'Microsoft.CognitiveServices/accounts@2023-05-01' = {\n"
		 "  name: %s\n"
		 "  location: location\n"
		 "  kind: 'OpenAI'\n"
		 "  sku: {\n"
		 "    name: 'S0'\n"
		 "  }\n"
		 "  properties: {\n"
		 "    customSubDomainName: %s\n"
		 "    publicNetworkAccess: 'Disabled'\n"
		 "    networkAcls: {\n"
		 "      defaultAction: 'Deny'\n"
		 "      ipRules: []\n"
		 "      virtualNetworkRules: []\n"
		 "    }\n"
		 "  }\n"
		 "}\n\n", z->openai_account, z->openai_account);
	bicep(f, "resource privateDnsZone 'Microsoft.Network/privateDnsZones@2020-06-01' = {\n"
		 "  name: %s\n"
		 "  location: 'global'\n"
		 "}\n\n", w->dns_zone);
	bicep(f, "resource privateDnsZoneLink 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = {\n"
		 "  parent: privateDnsZone\n"
		 "  name: %s\n"
		 "  location: 'global'\n"
		 "  properties: {\n"
		 "    registrationEnabled: false\n"
		 "    virtualNetwork: {\n"
		 "      id: vnet.id\n"
		 "    }\n"
		 "  }\n"
		 "}\n\n", link);
	bicep(f, "resource privateEndpoint 'Microsoft.Network/privateEndpoints@" NETWORK_API "' = {\n"
		 "  name: %s\n"
		 "  location: location\n"
		 "  properties: {\n"
		 "    subnet: {\n"
		 "      id: endpointSubnet.id\n"
		 "    }\n"
		 "    privateLinkServiceConnections: [\n"
		 "      {\n"
		 "        name: %s\n"
		 "        properties: {\n"
		 "          privateLinkServiceId: openai.id\n"
		 "          groupIds: [\n"
		 "            'account'\n"
		 "          ]\n"
		 "        }\n"
		 "      }\n"
		 "    ]\n"
		 "  }\n"
		 "}\n\n", pe, z->openai_account);
	bicep(f, "resource privateDnsZoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@" NETWORK_API "' = {\n"
		 "  parent: privateEndpoint\n"
		 "  name: 'default'\n"
		 "  properties: {\n"
		 "    privateDnsZoneConfigs: [\n"
		 "      {\n"
		 "        name: %s\n"
		 "        properties: {\n"
		 "          privateDnsZoneId: privateDnsZone.id\n"
		 "        }\n"
		 "      }\n"
		 "    ]\n"
		 "  }\n"
		 "}\n", config);
}

/* The VNet's DNS servers: an existing VNet's settings cannot be changed
 * from a template without restating the whole VNet (its subnets would be
 * dropped), so this is the setting and the command that applies it. */
static cJSON *vnet_dns(const struct azure *w)
{
	const struct al_network *net = &w->cfg->network;
	cJSON *doc = cJSON_CreateObject(), *servers;
	char ip[AL_ADDRSTRLEN], command[512];
	size_t i, off;

	cJSON_AddStringToObject(doc, "resourceGroup", w->z->resource_group);
	cJSON_AddStringToObject(doc, "virtualNetwork", w->z->vnet);
	servers = cJSON_AddArrayToObject(cJSON_AddObjectToObject(doc, "dhcpOptions"), "dnsServers");
	off = (size_t)snprintf(command, sizeof(command), "az network vnet update --resource-group %s --name %s --dns-servers",
			       w->z->resource_group, w->z->vnet);
	for (i = 0; i < net->ndns_servers; i++) {
		al_ip_format(&net->dns_servers[i], ip, sizeof(ip));
		cJSON_AddItemToArray(servers, cJSON_CreateString(ip));
		if (off < sizeof(command))
			off += (size_t)snprintf(command + off, sizeof(command) - off, " %s", ip);
	}
	cJSON_AddStringToObject(doc, "command", command);
	return doc;
}

int al_render_azure(const struct al_config *cfg, struct al_render *out, struct al_err *err)
{
	struct azure w;
	struct al_render_zone *zones = calloc(cfg->nzones + 1, sizeof(*zones));
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int rc;

	memset(&w, 0, sizeof(w));
	w.cfg = cfg;
	if (!zones)
		return -ENOMEM;
	if ((rc = facts(&w, zones, err)) >= 0) {
		if (!(f = open_memstream(&text, &len))) {
			rc = -ENOMEM;
		} else {
			write_bicep(&w, f);
			if (fclose(f) != 0) {
				free(text);
				text = NULL;
			}
			if ((rc = al_render_add(out, "azure-openai-private.bicep", text)) >= 0)
				rc = al_render_add_json(out, "azure-vnet-dns.json", vnet_dns(&w));
		}
	}
	free(zones);
	return rc;
}
