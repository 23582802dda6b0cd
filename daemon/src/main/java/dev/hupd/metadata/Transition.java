package dev.hupd.metadata;

import com.fasterxml.jackson.databind.JsonNode;
import dev.hupd.config.Trigger;
import java.util.Optional;
import java.util.Set;

/** cfn-hup's decision between add, update, remove and "just record the value". */
public final class Transition {

  private Transition() {}

  /**
   * Tested in cfn-hup's order: add (old absent, new present), remove (old present, new absent),
   * update (both present and different). "Absent" is Python falsiness.
   *
   * @return the trigger to fire, or empty to record the new value silently
   */
  public static Optional<Trigger> decide(Set<Trigger> triggers, JsonNode old, JsonNode now) {
    boolean hadOld = Json.truthy(old);
    boolean hasNew = Json.truthy(now);
    if (triggers.contains(Trigger.POST_ADD) && !hadOld && hasNew) {
      return Optional.of(Trigger.POST_ADD);
    }
    if (triggers.contains(Trigger.POST_REMOVE) && hadOld && !hasNew) {
      return Optional.of(Trigger.POST_REMOVE);
    }
    if (triggers.contains(Trigger.POST_UPDATE) && hadOld && hasNew && !Json.same(old, now)) {
      return Optional.of(Trigger.POST_UPDATE);
    }
    return Optional.empty();
  }
}
