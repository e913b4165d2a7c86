/** template.yaml → LocalModel (see local/core/model.ts). */

export { substituteDefinition } from '../stepfunctions/template.ts';
export {
  type BuildModelOptions,
  buildModel,
  loadTemplate,
  parseTemplate,
} from './build-model.ts';
export { TemplateError } from './errors.ts';
export { generatedName, physicalSuffix } from './identity.ts';
export { NO_VALUE, resolveValue } from './intrinsics.ts';
