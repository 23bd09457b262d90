package dev.medic.testing;

import dev.medic.config.Settings;
import dev.medic.recovery.Action;
import dev.medic.recovery.ActionContext;
import dev.medic.recovery.ActionOutcome;
import dev.medic.recovery.ActionType;
import dev.medic.recovery.ActionTypes;
import io.vertx.core.Future;

/**
 * Stand-ins for action types in configuration tests: they accept any keys and do nothing. Tests
 * that run actions use real ones.
 */
public final class FakeActionTypes {

  private FakeActionTypes() {}

  public static ActionTypes all() {
    return ActionTypes.of(named("systemd"), named("log-cleanup"), named("command"), named("redis-clear"));
  }

  public static ActionType named(String type) {
    return new ActionType() {
      @Override
      public String type() {
        return type;
      }

      @Override
      public Action create(Settings settings, ActionContext context) {
        settings.accept(settings.keys().toArray(String[]::new));
        return new Action() {
          @Override
          public Future<ActionOutcome> run(String check) {
            return Future.succeededFuture(ActionOutcome.succeeded(type + " did nothing"));
          }

          @Override
          public String describe() {
            return type;
          }
        };
      }
    };
  }
}
