/* ova.c — an OVA: a tar holding the OVF descriptor first, then the manifest of SHA256 digests, then a
 * streamOptimized VMDK (the order the OVF 1.x specification requires), as VMware, VirtualBox and the
 * cloud importers read it. */
#include "image/archive.h"
#include "image/export_internal.h"
#include "ui/ui.h"
#include "util/buf.h"
#include "util/file.h"
#include "util/hash.h"
#include "util/mem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int img_ovf_os_id(const char *distro, const char **description)
{
	static const struct {
		const char *distro;
		int id;
		const char *desc;
	} map[] = {
		{"debian", 96, "Debian GNU/Linux (64-bit)"},
		{"ubuntu", 94, "Ubuntu Linux (64-bit)"},
		{"rhel", 80, "Red Hat Enterprise Linux (64-bit)"},
		{"redhat-based", 80, "Red Hat Enterprise Linux (64-bit)"},
		{"centos", 107, "CentOS (64-bit)"},
		{"rocky", 80, "Red Hat Enterprise Linux (64-bit)"},
		{"almalinux", 80, "Red Hat Enterprise Linux (64-bit)"},
		{"oraclelinux", 109, "Oracle Linux (64-bit)"},
		{"sles", 85, "SUSE Linux Enterprise (64-bit)"},
		{"opensuse", 85, "SUSE Linux Enterprise (64-bit)"},
	};
	for (size_t i = 0; distro && i < sizeof map / sizeof map[0]; i++) {
		if (strcmp(distro, map[i].distro) == 0) {
			if (description)
				*description = map[i].desc;
			return map[i].id;
		}
	}
	if (description)
		*description = "Other Linux (64-bit)";
	return 101;
}

char *img_ovf_descriptor(const char *vm_name, const char *disk_file, uint64_t disk_size, uint64_t capacity,
			 const struct img_export_opts *opts)
{
	struct buf b = BUF_INIT;
	const char *os_desc;
	int os_id = img_ovf_os_id(opts->os_distro, &os_desc);
	int cpus = opts->cpus > 0 ? opts->cpus : 1;
	int mem = opts->memory_mb > 0 ? opts->memory_mb : 1024;

	buf_puts(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		     "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
		     "          xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\"\n"
		     "          xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"\n"
		     "          xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData\"\n"
		     "          xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData\"\n"
		     "          xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n"
		     "  <References>\n"
		     "    <File ovf:href=\"");
	buf_put_xml(&b, disk_file);
	buf_printf(&b, "\" ovf:id=\"file1\" ovf:size=\"%llu\"/>\n", (unsigned long long)disk_size);
	buf_printf(&b,
		   "  </References>\n"
		   "  <DiskSection>\n"
		   "    <Info>Virtual disk information</Info>\n"
		   "    <Disk ovf:capacity=\"%llu\" ovf:capacityAllocationUnits=\"byte\" ovf:diskId=\"vmdisk1\" "
		   "ovf:fileRef=\"file1\" "
		   "ovf:format=\"http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized\"/>\n"
		   "  </DiskSection>\n"
		   "  <NetworkSection>\n"
		   "    <Info>The list of logical networks</Info>\n"
		   "    <Network ovf:name=\"NAT\">\n"
		   "      <Description>The NAT network</Description>\n"
		   "    </Network>\n"
		   "  </NetworkSection>\n"
		   "  <VirtualSystem ovf:id=\"",
		   (unsigned long long)capacity);
	buf_put_xml(&b, vm_name);
	buf_puts(&b, "\">\n"
		     "    <Info>A virtual machine built by kiln</Info>\n"
		     "    <Name>");
	buf_put_xml(&b, vm_name);
	buf_printf(&b, "</Name>\n"
		       "    <OperatingSystemSection ovf:id=\"%d\">\n"
		       "      <Info>The kind of installed guest operating system</Info>\n"
		       "      <Description>%s</Description>\n"
		       "    </OperatingSystemSection>\n"
		       "    <VirtualHardwareSection>\n"
		       "      <Info>Virtual hardware requirements</Info>\n"
		       "      <System>\n"
		       "        <vssd:ElementName>Virtual Hardware Family</vssd:ElementName>\n"
		       "        <vssd:InstanceID>0</vssd:InstanceID>\n"
		       "        <vssd:VirtualSystemIdentifier>",
		   os_id, os_desc);
	buf_put_xml(&b, vm_name);
	buf_printf(&b, "</vssd:VirtualSystemIdentifier>\n"
		       "        <vssd:VirtualSystemType>vmx-13</vssd:VirtualSystemType>\n"
		       "      </System>\n"
		       "      <Item>\n"
		       "        <rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>\n"
		       "        <rasd:Description>Number of Virtual CPUs</rasd:Description>\n"
		       "        <rasd:ElementName>%d virtual CPU(s)</rasd:ElementName>\n"
		       "        <rasd:InstanceID>1</rasd:InstanceID>\n"
		       "        <rasd:ResourceType>3</rasd:ResourceType>\n"
		       "        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>\n"
		       "      </Item>\n"
		       "      <Item>\n"
		       "        <rasd:AllocationUnits>byte * 2^20</rasd:AllocationUnits>\n"
		       "        <rasd:Description>Memory Size</rasd:Description>\n"
		       "        <rasd:ElementName>%d MB of memory</rasd:ElementName>\n"
		       "        <rasd:InstanceID>2</rasd:InstanceID>\n"
		       "        <rasd:ResourceType>4</rasd:ResourceType>\n"
		       "        <rasd:VirtualQuantity>%d</rasd:VirtualQuantity>\n"
		       "      </Item>\n"
		       "      <Item>\n"
		       "        <rasd:Address>0</rasd:Address>\n"
		       "        <rasd:Description>SCSI Controller</rasd:Description>\n"
		       "        <rasd:ElementName>SCSI Controller 0</rasd:ElementName>\n"
		       "        <rasd:InstanceID>3</rasd:InstanceID>\n"
		       "        <rasd:ResourceSubType>lsilogic</rasd:ResourceSubType>\n"
		       "        <rasd:ResourceType>6</rasd:ResourceType>\n"
		       "      </Item>\n"
		       "      <Item>\n"
		       "        <rasd:AddressOnParent>0</rasd:AddressOnParent>\n"
		       "        <rasd:ElementName>Hard Disk 1</rasd:ElementName>\n"
		       "        <rasd:HostResource>ovf:/disk/vmdisk1</rasd:HostResource>\n"
		       "        <rasd:InstanceID>4</rasd:InstanceID>\n"
		       "        <rasd:Parent>3</rasd:Parent>\n"
		       "        <rasd:ResourceType>17</rasd:ResourceType>\n"
		       "      </Item>\n"
		       "      <Item>\n"
		       "        <rasd:AutomaticAllocation>true</rasd:AutomaticAllocation>\n"
		       "        <rasd:Connection>NAT</rasd:Connection>\n"
		       "        <rasd:ElementName>Ethernet 1</rasd:ElementName>\n"
		       "        <rasd:InstanceID>5</rasd:InstanceID>\n"
		       "        <rasd:ResourceSubType>E1000</rasd:ResourceSubType>\n"
		       "        <rasd:ResourceType>10</rasd:ResourceType>\n"
		       "      </Item>\n"
		       "    </VirtualHardwareSection>\n"
		       "  </VirtualSystem>\n"
		       "</Envelope>\n",
		   cpus, cpus, mem, mem);
	return buf_detach(&b);
}

static char *strip_ext(const char *final, const char *ext)
{
	char *base = path_basename(final);
	size_t bl = strlen(base), el = strlen(ext);
	if (bl > el && strcmp(base + bl - el, ext) == 0)
		base[bl - el] = '\0';
	return base;
}

int img_write_ova(const char *disk, const char *disk_format, const struct img_info *info, const char *vmdk,
		  const struct img_export_opts *opts, const char *final, const char *tmp, const char *workdir,
		  struct ui *ui, struct kiln_error *err)
{
	int rc = -1;
	char *vm_name = strip_ext(final, ".ova");
	char *disk_file = xasprintf("%s-disk1.vmdk", vm_name);
	char *own_vmdk = NULL, *ovf = NULL, *ovf_name = NULL, *mf_name = NULL, *vmdk_hex = NULL, *ovf_hex = NULL;
	struct buf mf = BUF_INIT;

	vmdk = img_work_copy(disk, disk_format, info->virtual_size, vmdk, IMG_FORMAT_VMDK, IMG_COMPRESS_NONE, workdir,
			     disk_file, ui, &own_vmdk, err);
	if (!vmdk)
		goto out;
	off_t vmdk_size;
	if (file_size(vmdk, &vmdk_size, err) < 0)
		goto out;
	if (hash_file_hex("sha256", vmdk, &vmdk_hex, err) < 0)
		goto out;
	ovf = img_ovf_descriptor(vm_name, disk_file, (uint64_t)vmdk_size, info->virtual_size, opts);
	ovf_hex = hash_hex("sha256", ovf, strlen(ovf));
	ovf_name = xasprintf("%s.ovf", vm_name);
	mf_name = xasprintf("%s.mf", vm_name);
	buf_printf(&mf, "SHA256(%s)= %s\nSHA256(%s)= %s\n", ovf_name, ovf_hex, disk_file, vmdk_hex);

	struct img_archive_opts ao = {.container = IMG_ARCHIVE_TAR, .filter = IMG_FILTER_NONE};
	const struct img_archive_text texts[] = {{ovf_name, ovf}, {mf_name, buf_cstr(&mf)}};
	if (img_archive_pack(tmp, &ao, texts, 2, vmdk, disk_file, (uint64_t)vmdk_size, ui, "Packing the OVA", err) < 0)
		goto out;
	rc = 0;
out:
	img_work_copy_drop(own_vmdk);
	if (rc < 0)
		err_wrap(err, "writing the OVA");
	free(ovf);
	free(ovf_name);
	free(mf_name);
	free(vmdk_hex);
	free(ovf_hex);
	free(disk_file);
	free(vm_name);
	buf_free(&mf);
	return rc;
}
