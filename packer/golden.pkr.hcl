# Golden images provisioned by Packer's ansible-local provisioner with this collection.
# Two sources, one build: `amazon-ebs` for real AMIs, `docker` (from the local base
# image) so the same provisioning is built and tested offline. Packer 1.6.x syntax.

variable "collection_tarball" {
  type        = string
  description = "The built collection (ansible-galaxy collection build), e.g. build/ironclad-aws-0.1.0.tar.gz."
}

variable "wheels_dir" {
  type        = string
  description = "A folder of Python wheels holding ansible and its dependencies (pip download), so the build needs no package index."
}

variable "image_roles" {
  type        = string
  default     = "bastion"
  description = "What the image is for: base, bastion or egress_proxy (playbooks/golden_image.yml golden_image_role)."
}

variable "ansible_extra_arguments" {
  type        = list(string)
  default     = []
  description = "More ansible-playbook arguments, e.g. [\"-e\", \"ssm_agent_package_url=...\"] for a package mirror."
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "instance_type" {
  type    = string
  default = "t3.small"
}

# Instances launched from the AMI require IMDSv2 session tokens (ImdsSupport=v2.0, set by
# a post-processor: Packer 1.6's amazon-ebs has no imds_support or metadata_options; with
# Packer >= 1.7 and its amazon plugin, set imds_support = "v2.0" and a metadata_options block
# on the source instead, see docs/imdsv2.md).
variable "require_imdsv2" {
  type        = bool
  default     = true
  description = "Mark the built AMIs IMDSv2-only (cannot be undone on an AMI)."
}

variable "imdsv2_python" {
  type        = string
  default     = "python3"
  description = "A Python with boto3 for packer/scripts/require_imdsv2.py (the Ansible controller's venv will do)."
}

variable "docker_base_image" {
  type    = string
  default = "ironclad/debian:12"
}

variable "docker_image_name" {
  type    = string
  default = "ironclad/golden"
}

source "amazon-ebs" "golden" {
  region        = var.region
  instance_type = var.instance_type
  ssh_username  = "admin"
  ami_name      = "ironclad-golden-${var.image_roles}-{{timestamp}}"
  source_ami_filter {
    filters = {
      name                = "debian-12-amd64-*"
      virtualization-type = "hvm"
      root-device-type    = "ebs"
    }
    # Debian's own AWS account.
    owners      = ["136693071363"]
    most_recent = true
  }
  tags = {
    Name         = "ironclad-golden-${var.image_roles}"
    "built-with" = "ironclad.aws"
  }
}

source "docker" "golden" {
  image  = var.docker_base_image
  pull   = false
  commit = true
  # systemd as PID 1, as on an instance, with the flags that work without --privileged
  # (NET_ADMIN: the bastion loads its firewall).
  run_command = [
    "-d", "--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--security-opt", "seccomp=unconfined",
    "-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock",
    "{{.Image}}", "/lib/systemd/systemd"
  ]
  changes = [
    "CMD [\"/lib/systemd/systemd\"]",
    "ENV container=docker",
    "LABEL ironclad.golden=${var.image_roles}"
  ]
}

build {
  sources = ["source.amazon-ebs.golden", "source.docker.golden"]

  # Everything goes under /var/tmp: systemd may mount a fresh tmpfs on /tmp while the
  # build runs, hiding what was uploaded there.
  provisioner "shell" {
    remote_folder = "/var/tmp"
    inline        = ["mkdir -p /var/tmp/ironclad-build/wheels"]
  }

  provisioner "file" {
    source      = "${var.wheels_dir}/"
    destination = "/var/tmp/ironclad-build/wheels"
  }

  provisioner "file" {
    source      = var.collection_tarball
    destination = "/var/tmp/ironclad-build/ironclad-aws.tar.gz"
  }

  provisioner "shell" {
    remote_folder   = "/var/tmp"
    execute_command = "sudo -E sh -eu '{{.Path}}'"
    script          = "${path.root}/scripts/install-ansible.sh"
  }

  provisioner "ansible-local" {
    staging_directory = "/var/tmp/packer-provisioner-ansible-local"
    command           = "ANSIBLE_COLLECTIONS_PATH=/opt/ironclad-build/collections /opt/ironclad-build/venv/bin/ansible-playbook"
    playbook_file     = "${path.root}/../playbooks/golden_image.yml"
    extra_arguments   = concat(["--become", "-e", "golden_image_role=${var.image_roles}"], var.ansible_extra_arguments)
  }

  provisioner "shell" {
    remote_folder   = "/var/tmp"
    execute_command = "sudo -E sh -eu '{{.Path}}'"
    script          = "${path.root}/scripts/cleanup.sh"
  }

  post-processors {
    post-processor "manifest" {
      only       = ["amazon-ebs.golden"]
      output     = "packer-manifest.json"
      strip_path = true
    }
    post-processor "shell-local" {
      only = ["amazon-ebs.golden"]
      inline = [
        "if [ ${var.require_imdsv2} = true ]; then ${var.imdsv2_python} '${path.root}/scripts/require_imdsv2.py' packer-manifest.json \"$PACKER_BUILD_NAME\"; fi"
      ]
    }
  }

  post-processor "docker-tag" {
    only       = ["docker.golden"]
    repository = var.docker_image_name
    tags       = [var.image_roles]
  }
}
