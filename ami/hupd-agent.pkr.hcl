# hupd-agent.pkr.hcl: the Bamboo build agent AMI (Amazon Linux 2023, x86_64) with Docker, a Java 17
# runtime, the hupd RPM and the Bamboo remote agent; agent identity and hupd state are wiped before
# imaging so that every instance registers as itself. How to build it, what is wiped and what an
# instance does on first boot: ami/README.md.
#
# Written for Packer 1.6.6 (Debian's package, used by ami/check.sh for `packer validate`): HCL2 as
# 1.6.6 reads it. No `packer { required_plugins { ... } }` block (1.6.6 rejects it; amazon-ebs is
# built in there), no `templatefile()`, no `content` on the file provisioner, and validation rules
# use only functions 1.6.6 knows in that context (`substr`, `length`; not `regex`/`can`).
# Newer Packer releases read this file too, once the amazon plugin is installed
# (`packer plugins install github.com/hashicorp/amazon`).

# ---- Variables -------------------------------------------------------------------------------

variable "region" {
  type        = string
  description = "AWS region to bake in (and where the AMI is registered), e.g. eu-west-1."
}

variable "instance_type" {
  type        = string
  default     = "t3.medium"
  description = "Build instance type. 4 GiB of memory is plenty for the installs and the agent installer."
}

variable "vpc_id" {
  type        = string
  default     = ""
  description = "VPC of the build instance; empty: the region's default VPC."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "Subnet of the build instance; empty: one Packer picks (default VPC). It must reach the package repositories and bamboo_url."
}

variable "hupd_rpm" {
  type        = string
  description = "Local path of the hupd RPM to bake in (daemon/target/rpm/hupd-<version>-<release>.noarch.rpm after `mvn package`)."

  validation {
    condition     = substr(var.hupd_rpm, -4, -1) == ".rpm"
    error_message = "The hupd_rpm variable must be the path of a .rpm file (dnf treats only *.rpm arguments as local packages)."
  }
}

variable "bamboo_url" {
  type        = string
  description = "Base URL of the Bamboo master, e.g. https://bamboo.example.com (no trailing /agentServer). Used at bake time only to download the agent installer jar (the installer then fetches the agent's jars from the same master); no token is used and no agent is registered. Also written to /etc/hupd/hupd.conf as bamboo-url: the agent must talk to the master whose jars it installed."

  validation {
    condition     = substr(var.bamboo_url, 0, 8) == "https://" && length(var.bamboo_url) > 8
    error_message = "The bamboo_url variable must be an https:// URL of the Bamboo master (hupd refuses plain http for anything but loopback)."
  }
}

variable "bamboo_agent_version" {
  type        = string
  description = "Bamboo version of the master, e.g. 9.2.1: names the installer jar atlassian-bamboo-agent-installer-<version>.jar the master serves."

  validation {
    condition     = length(var.bamboo_agent_version) > 0
    error_message = "The bamboo_agent_version variable must be the master's Bamboo version, e.g. 9.2.1."
  }
}

variable "fleet" {
  type        = string
  default     = "bamboo-linux"
  description = "hupd fleet name (hupd.conf `fleet`): the agents' rollout records live under /hupd/<fleet> in SSM."
}

variable "bamboo_token_parameter" {
  type        = string
  default     = "/ci/bamboo/hupd-token"
  description = "SSM SecureString with hupd's Bamboo personal access token (hupd.conf `bamboo-token = ssm:...`). Only the name is baked in."
}

variable "bamboo_agent_token_parameter" {
  type        = string
  default     = "/ci/bamboo/agent-token"
  description = "SSM SecureString with the agents' security token (hupd.conf `bamboo-agent-security-token = ssm:...`). Only the name is baked in."
}

variable "ami_name_prefix" {
  type        = string
  default     = "hupd-bamboo-agent"
  description = "The AMI is named <prefix>-<bamboo_agent_version>-<UTC timestamp>."
}

locals {
  # AMI names must be unique per account and region: a timestamp (YYYYMMDDhhmmss) makes each bake new.
  stamp = regex_replace(timestamp(), "[- TZ:]", "")
  # Staging folder on the build instance for uploaded files (removed by the wipe step).
  stage = "/tmp/hupd-ami"
  # Every shell step runs as root with strict error handling: any failing command fails the bake.
  # `env {{ .Vars }}` passes the step's environment_vars through sudo.
  sudo_bash = "chmod +x '{{ .Path }}'; sudo env {{ .Vars }} bash -euo pipefail '{{ .Path }}'"
}

# ---- Builder ---------------------------------------------------------------------------------

source "amazon-ebs" "agent" {
  region        = var.region
  instance_type = var.instance_type
  vpc_id        = var.vpc_id
  subnet_id     = var.subnet_id

  # The newest Amazon Linux 2023 image published by Amazon itself (owner alias "amazon", not the
  # Marketplace), x86_64 with HVM/EBS: the same base every bake, only newer patches.
  source_ami_filter {
    filters = {
      name                = "al2023-ami-2023.*-x86_64"
      architecture        = "x86_64"
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = ["amazon"]
    most_recent = true
  }

  # AL2023's default login user; Packer creates and afterwards deletes a temporary key pair and
  # security group for the SSH session.
  ssh_username = "ec2-user"

  ami_name        = "${var.ami_name_prefix}-${var.bamboo_agent_version}-${local.stamp}"
  ami_description = "Bamboo ${var.bamboo_agent_version} build agent on Amazon Linux 2023 with Docker, Corretto 17 and hupd"

  tags = {
    Name               = "${var.ami_name_prefix}-${var.bamboo_agent_version}"
    BambooAgentVersion = var.bamboo_agent_version
    HupdFleet          = var.fleet
    BaseImage          = "al2023-ami-2023.*-x86_64"
  }
}

# ---- Provisioning ----------------------------------------------------------------------------

build {
  sources = ["source.amazon-ebs.agent"]

  # A staging folder owned by the SSH user, so the file provisioners below can upload into it.
  provisioner "shell" {
    inline = ["mkdir -p ${local.stage}"]
  }

  # Docker (toolchain images and Docker builds), git (the fleet advertises system.git.executable)
  # and Java 17 (the Bamboo agent's runtime and the one the hupd RPM requires).
  provisioner "shell" {
    script          = "${path.root}/scripts/10-packages.sh"
    execute_command = local.sudo_bash
  }

  # The hupd RPM, built from this repository: uploaded, then installed with dnf so that its
  # dependency on a Java runtime is resolved from the AL2023 repositories.
  provisioner "file" {
    source      = var.hupd_rpm
    destination = "${local.stage}/hupd.noarch.rpm"
  }

  provisioner "shell" {
    script           = "${path.root}/scripts/20-hupd.sh"
    execute_command  = local.sudo_bash
    environment_vars = ["STAGE=${local.stage}"]
  }

  # The Bamboo agent's systemd unit (the one README.md's Bamboo "Turning it on" shows) and hupd's
  # settings template; installed by the next two steps.
  provisioner "file" {
    source      = "${path.root}/files/bamboo-agent.service"
    destination = "${local.stage}/bamboo-agent.service"
  }

  provisioner "file" {
    source      = "${path.root}/files/hupd.conf.in"
    destination = "${local.stage}/hupd.conf.in"
  }

  # The bamboo user and the agent installed from the master's installer jar into
  # /home/bamboo/bamboo-agent-home; the unit installed but not enabled (hupd starts the agent).
  provisioner "shell" {
    script          = "${path.root}/scripts/30-bamboo-agent.sh"
    execute_command = local.sudo_bash
    environment_vars = [
      "STAGE=${local.stage}",
      "BAMBOO_URL=${var.bamboo_url}",
      "BAMBOO_AGENT_VERSION=${var.bamboo_agent_version}",
    ]
  }

  # /etc/hupd/hupd.conf from files/hupd.conf.in: Bamboo settings with ssm: secrets, the toolchain
  # manifest path and fleet coordination through SSM.
  provisioner "shell" {
    script          = "${path.root}/scripts/40-hupd-conf.sh"
    execute_command = local.sudo_bash
    environment_vars = [
      "STAGE=${local.stage}",
      "BAMBOO_URL=${var.bamboo_url}",
      "FLEET=${var.fleet}",
      "BAMBOO_TOKEN_PARAMETER=${var.bamboo_token_parameter}",
      "BAMBOO_AGENT_TOKEN_PARAMETER=${var.bamboo_agent_token_parameter}",
    ]
  }

  # Last: wipe everything that identifies this build instance (Bamboo agent identity, hupd and
  # cfn-hup state, machine-id, cloud-init instance data, SSH host keys, the Packer key). Nothing
  # may run after it; ami/check.sh checks that it names each identity file.
  provisioner "shell" {
    script           = "${path.root}/scripts/90-wipe.sh"
    execute_command  = local.sudo_bash
    environment_vars = ["STAGE=${local.stage}"]
  }
}
