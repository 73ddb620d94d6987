"""The backup modules' decisions, without AWS: what to snapshot, what retention deletes."""

import datetime

from ansible_collections.ironclad.aws.plugins.module_utils import backup_plan as bp

UTC = datetime.UTC
NOW = datetime.datetime(2024, 5, 15, 12, 0, 0, tzinfo=UTC)


def days_ago(days, **kw):
    return NOW - datetime.timedelta(days=days, **kw)


def backup(id_, created, group="vol-a", protected=None):
    return bp.Backup(id_, group, created, protected)


def deleted(plan):
    return sorted(b.id for b, _ in plan.delete)


def instance(instance_id="i-1", name=None, volumes=("/dev/xvda", "/dev/sdb"), root="/dev/xvda"):
    tags = [{"Key": "Name", "Value": name}] if name else []
    mappings = [{"DeviceName": d, "Ebs": {"VolumeId": f"vol-{instance_id}-{n}"}} for n, d in enumerate(volumes)]
    return {"InstanceId": instance_id, "RootDeviceName": root, "BlockDeviceMappings": mappings, "Tags": tags}


# --- retention by age -------------------------------------------------------------


def test_exactly_retention_days_old_is_kept_one_second_more_is_deleted():
    plan = bp.plan_retention(
        [backup("exact", days_ago(7)), backup("over", days_ago(7, seconds=1)), backup("new", days_ago(0))],
        NOW,
        retention_days=7,
    )
    assert deleted(plan) == ["over"]
    assert "older than 7 days (7 days 0 hours)" in plan.delete[0][1]


def test_ages_compare_instants_not_wall_clocks():
    plus_two = datetime.timezone(datetime.timedelta(hours=2))
    minus_five = datetime.timezone(datetime.timedelta(hours=-5))
    # 01:00+02:00 on the 8th is 23:00 UTC on the 7th: 7 days 13 hours before NOW.
    early = datetime.datetime(2024, 5, 8, 1, 0, tzinfo=plus_two)
    # 20:00-05:00 on the 7th is 01:00 UTC on the 8th: 7 days 11 hours before NOW.
    late = datetime.datetime(2024, 5, 7, 20, 0, tzinfo=minus_five)
    now_in_tokyo = NOW.astimezone(datetime.timezone(datetime.timedelta(hours=9)))
    plan = bp.plan_retention([backup("early", early), backup("late", late)], now_in_tokyo, retention_days=7)
    assert deleted(plan) == ["early", "late"]
    plan = bp.plan_retention(
        [backup("early", early), backup("late", late)], now_in_tokyo - datetime.timedelta(hours=12), retention_days=7
    )
    assert deleted(plan) == ["early"]


def test_naive_times_are_utc_and_ec2_strings_parse_with_their_offsets():
    naive = datetime.datetime(2024, 5, 8, 11, 59, 59)
    assert bp.as_utc(naive) == datetime.datetime(2024, 5, 8, 11, 59, 59, tzinfo=UTC)
    assert bp.as_utc("2024-05-08T11:59:59.000Z") == bp.as_utc(naive)
    assert bp.as_utc("2024-05-08T13:59:59+02:00") == bp.as_utc(naive)
    assert bp.as_utc("2024-05-08T06:59:59-0500") == bp.as_utc(naive)
    plan = bp.plan_retention([backup("s", naive), backup("i", "2024-05-08T12:00:01.000Z")], NOW, retention_days=7)
    assert deleted(plan) == ["s"]


# --- retention by count, and both together ------------------------------------------------


def test_count_keeps_the_newest_per_volume_counting_this_runs_snapshots():
    backups = [backup(f"a{d}", days_ago(d), "vol-a") for d in range(1, 5)]
    backups += [backup(f"b{d}", days_ago(d), "vol-b") for d in range(1, 3)]
    plan = bp.plan_retention(backups, NOW, retention_count=3, planned_new={"vol-a": 1})
    # vol-a gets a new snapshot: 2 old ones stay; vol-b is not backed up this run: both stay.
    assert deleted(plan) == ["a3", "a4"]
    assert all("not among the newest 3 of vol-a" in reason for _, reason in plan.delete)


def test_count_smaller_than_this_runs_snapshots_deletes_every_older_one():
    plan = bp.plan_retention([backup("old", days_ago(1))], NOW, retention_count=1, planned_new={"vol-a": 2})
    assert deleted(plan) == ["old"]


def test_age_and_count_together_delete_only_what_is_past_both():
    backups = [backup(f"d{d}", days_ago(d)) for d in (1, 8, 9, 10)]
    plan = bp.plan_retention(backups, NOW, retention_days=7, retention_count=2, planned_new={"vol-a": 1})
    # Newest 1 old + the new one fill the count; d8 is past both rules, so are d9 and d10.
    assert deleted(plan) == ["d10", "d8", "d9"]
    # An instance no longer backed up (nothing planned): the count is a floor under age.
    plan = bp.plan_retention([backup(f"d{d}", days_ago(d)) for d in (20, 21, 22)], NOW, 7, 2)
    assert deleted(plan) == ["d22"]
    assert "older than 7 days" in plan.delete[0][1] and "not among the newest 2" in plan.delete[0][1]


def test_without_any_retention_nothing_is_deleted():
    assert bp.plan_retention([backup("x", days_ago(400))], NOW).delete == []


def test_equal_times_are_ordered_by_id_so_runs_agree():
    backups = [backup("snap-b", days_ago(2)), backup("snap-a", days_ago(2)), backup("snap-c", days_ago(2))]
    assert deleted(bp.plan_retention(backups, NOW, retention_count=1)) == ["snap-a", "snap-b"]


# --- what is protected, volumes that are gone ---------------------------------------------


def snap(snapshot_id, days, volume="vol-a", tags=None):
    tags = [{"Key": k, "Value": v} for k, v in (tags or {}).items()]
    return {"SnapshotId": snapshot_id, "VolumeId": volume, "StartTime": days_ago(days), "Tags": tags}


def test_ami_backed_and_keep_tagged_snapshots_are_never_deleted_and_take_no_slot():
    snapshots = [
        snap("ami", 1),
        snap("hold", 2, tags={"ironclad:backup-keep": ""}),
        snap("s3", 3),
        snap("s4", 40),
        snap("s5", 50),
    ]
    backups = bp.snapshot_backups(snapshots, ami_snapshot_ids={"ami"})
    plan = bp.plan_retention(backups, NOW, retention_count=2)
    assert deleted(plan) == ["s5"]
    assert sorted((b.id, r) for b, r in plan.protected) == [
        ("ami", "backs a registered AMI"),
        ("hold", "tagged ironclad:backup-keep"),
    ]
    assert deleted(bp.plan_retention(backups, NOW, retention_days=7)) == ["s4", "s5"]


def test_snapshots_of_a_deleted_volume_stay_under_the_same_rules():
    # EC2 keeps the id of a deleted volume on its snapshots; copies may carry none at all.
    snapshots = [snap("g1", 1, "vol-gone"), snap("g2", 2, "vol-gone"), snap("n1", 3, None), snap("n2", 9, None)]
    plan = bp.plan_retention(bp.snapshot_backups(snapshots), NOW, retention_count=1)
    assert deleted(plan) == ["g2", "n2"]


def test_a_custom_keep_tag_replaces_the_default():
    snapshots = [snap("a", 30, tags={"DoNotDelete": "1"}), snap("b", 30, tags={"ironclad:backup-keep": "1"})]
    plan = bp.plan_retention(bp.snapshot_backups(snapshots, keep_tag="DoNotDelete"), NOW, retention_days=7)
    assert deleted(plan) == ["b"]


# --- selection -----------------------------------------------------------------------------


def test_instance_filters_and_each_tag_value_list():
    filters = bp.instance_filters({"BackupYN": "Y", "Env": ["prod", "stage"]}, ["running", "stopped"])
    assert filters == [
        {"Name": "tag:BackupYN", "Values": ["Y"]},
        {"Name": "tag:Env", "Values": ["prod", "stage"]},
        {"Name": "instance-state-name", "Values": ["running", "stopped"]},
    ]


def test_plan_snapshots_excludes_boot_and_tagged_volumes_and_skips_what_is_left_empty():
    one, two = instance("i-1"), instance("i-2", volumes=("/dev/xvda",))
    create, skipped = bp.plan_snapshots([two, one], [], NOW, exclude_boot=True, excluded_volume_ids={"vol-i-9-0"})
    assert [c["instance_id"] for c in create] == ["i-1"]
    assert create[0]["volume_ids"] == ["vol-i-1-1"] and create[0]["excluded_volume_ids"] == ["vol-i-1-0"]
    assert skipped == [{"instance_id": "i-2", "reason": "no volume left to snapshot"}]
    create, _ = bp.plan_snapshots([one], [], NOW, excluded_volume_ids={"vol-i-1-1"})
    assert create[0]["volume_ids"] == ["vol-i-1-0"]


def test_min_interval_skips_instances_backed_up_recently_by_this_policy():
    recent = snap("s", 0.5, tags={bp.INSTANCE_TAG: "i-1"})
    create, skipped = bp.plan_snapshots([instance("i-1"), instance("i-2")], [recent], NOW, min_interval_hours=20)
    assert [c["instance_id"] for c in create] == ["i-2"]
    assert skipped[0]["instance_id"] == "i-1"
    create, _ = bp.plan_snapshots([instance("i-1")], [recent], NOW, min_interval_hours=11)
    assert [c["instance_id"] for c in create] == ["i-1"]


def test_tags_ours_win_over_the_users_which_win_over_the_instances():
    inst = instance("i-1", name="web")
    inst["Tags"] += [{"Key": "aws:cloudformation:stack-name", "Value": "s"}, {"Key": "Team", "Value": "blue"}]
    tags = bp.backup_tags(inst, "daily", "ebs", "scheduled-web", {"Team": "red", "Name": "mine"}, True)
    assert tags == {
        "Name": "scheduled-web",
        "Team": "red",
        bp.POLICY_TAG: "daily",
        bp.KIND_TAG: "ebs",
        bp.INSTANCE_TAG: "i-1",
    }


def test_names_keep_ec2_limits():
    long = instance("i-0123456789abcdef0", name="x" * 300)
    description = bp.snapshot_description(long, NOW)
    assert len(description) == 255 and description.endswith(".i-0123456789abcdef0-20240515-120000")
    assert bp.snapshot_description(instance("i-1", name="web"), NOW) == "scheduled-web.i-1-20240515-120000"
    assert bp.image_name(instance("i-1", name="web:1 *"), NOW, "backup") == "backup-web_1 _-i-1 from 2024-05-15"
    assert len(bp.image_name(long, NOW, "Lambda")) == 128


def test_plan_images_creates_one_per_day_and_respects_taken_names():
    taken = bp.image_name(instance("i-2"), NOW, "backup")
    create, skipped = bp.plan_images([instance("i-1"), instance("i-2")], [], NOW, "backup", taken_names=[taken])
    assert [c["instance_id"] for c in create] == ["i-1"]
    assert skipped[0]["reason"] == f"an image named {taken} already exists"


def test_images_release_only_snapshots_no_surviving_image_uses():
    def image(image_id, *snapshots):
        return {"ImageId": image_id, "BlockDeviceMappings": [{"Ebs": {"SnapshotId": s}} for s in snapshots]}

    doomed = [image("ami-1", "s1", "s2"), image("ami-2", "s2", "s3")]
    everything = doomed + [image("ami-3", "s3"), {"ImageId": "ami-4", "BlockDeviceMappings": [{"VirtualName": "x"}]}]
    assert bp.snapshots_to_release(doomed, everything) == ["s1", "s2"]


def test_impossible_retention_is_named():
    assert bp.validate_retention(-1, None) == "retention_days must be at least 1 (got -1)"
    assert bp.validate_retention(None, 0) == "retention_count must be at least 1 (got 0)"
    assert bp.validate_retention(1, 1) is None and bp.validate_retention(None, None) is None


# --- filter values and exact matching (no policy name may reach another's backups) ---


def test_filter_values_only_ever_widen_and_the_exact_match_decides():
    assert bp.filter_value("daily") == "daily"
    assert bp.filter_value("*dai?y[x]\\") == "?dai?y?x??"
    assert bp.owned_filters("*", "ebs")[0] == {"Name": "tag:ironclad:backup-policy", "Values": ["?"]}
    mine = {"Tags": [{"Key": bp.POLICY_TAG, "Value": "*"}, {"Key": bp.KIND_TAG, "Value": "ebs"}]}
    other = {"Tags": [{"Key": bp.POLICY_TAG, "Value": "d"}, {"Key": bp.KIND_TAG, "Value": "ebs"}]}
    other_kind = {"Tags": [{"Key": bp.POLICY_TAG, "Value": "*"}, {"Key": bp.KIND_TAG, "Value": "ami"}]}
    assert [bp.is_owned(r, "*", "ebs") for r in (mine, other, other_kind)] == [True, False, False]


def test_instances_are_kept_only_when_every_tag_matches_exactly():
    tagged = {"Tags": [{"Key": "BackupYN", "Value": "Y"}, {"Key": "Env", "Value": "prod"}]}
    assert bp.matches_tags(tagged, {"BackupYN": "Y", "Env": ["staging", "prod"]})
    assert not bp.matches_tags(tagged, {"BackupYN": "?"})
    assert not bp.matches_tags(tagged, {"Env": "prod*"})
    assert not bp.matches_tags(tagged, {"Missing": "Y"})
    assert bp.matches_tags({"Tags": [{"Key": "Tier", "Value": "1"}]}, {"Tier": 1})


def test_malformed_tag_maps_are_named_by_key():
    problem = bp.tag_map_problem
    assert problem("tag_filters", {"BackupYN": "Y", "Env": ["a", 2]}, lists=True) is None
    assert problem("tag_filters", {"BackupYN": None}, lists=True) == (
        "tag_filters.BackupYN must be a tag value or a non-empty list of tag values, got null"
    )
    assert "got a dict" in problem("tag_filters", {"BackupYN": {"eq": "Y"}}, lists=True)
    assert "got an empty list" in problem("tag_filters", {"BackupYN": []}, lists=True)
    assert problem("tag_filters", {"B": [["Y"]]}, lists=True).endswith("got a list holding ['Y']")
    assert problem("tag_filters", {"B": ["Y", None]}, lists=True).endswith("got a list holding null")
    assert "quote it" in problem("tag_filters", {"BackupYN": True}, lists=True)
    assert problem("tag_filters", {" ": "Y"}, lists=True) == "tag_filters has an empty key: every key must name a tag"
    assert problem("tags", {"Team": ["a"]}) == "tags.Team must be a tag value (string or number), got ['a']"
    assert problem("tags", {"Team": []}) == "tags.Team must be a tag value (string or number), got an empty list"
