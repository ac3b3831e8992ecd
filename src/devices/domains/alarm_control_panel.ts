import { codeParams } from './params.js';
import { defineDomain } from './types.js';

export const alarmControlPanel = defineDomain({
  name: 'alarm_control_panel',
  operations: {
    alarm_disarm: { params: codeParams, expect: 'disarmed', risk: 'high', mqttPayload: ['payload_disarm', 'DISARM'] },
    alarm_arm_home: { params: codeParams, expect: 'armed_home', risk: 'low', mqttPayload: ['payload_arm_home', 'ARM_HOME'] },
    alarm_arm_away: { params: codeParams, expect: 'armed_away', risk: 'low', mqttPayload: ['payload_arm_away', 'ARM_AWAY'] },
    alarm_arm_night: { params: codeParams, expect: 'armed_night', risk: 'low', mqttPayload: ['payload_arm_night', 'ARM_NIGHT'] },
    alarm_trigger: { params: codeParams, expect: 'triggered', risk: 'low', mqttPayload: ['payload_trigger', 'TRIGGER'] },
  },
  risk: 'medium',
  words: {
    nouns: ['alarm', 'security', 'system'],
    actions: { arm_away: 'alarm_arm_away', arm_home: 'alarm_arm_home', arm_night: 'alarm_arm_night', disarm: 'alarm_disarm' },
    states: ['on', 'off', 'armed', 'disarmed', 'triggered'],
  },
  mqtt: { component: true, stateTopics: ['state_topic'] },
  ui: { control: 'alarm', group: 'Doors and security' },
});
