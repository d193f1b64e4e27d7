// The post step's entry (action.yml runs.post): the bundle, started as the post step (src/index.ts).
import './index.js';
