/** `capos-conform binding`: print the default binding as JSON, or check a binding file. */
import { bindingToJson, loadBindingFile } from "../../spec/binding-file.js";
import { EXIT } from "./exit-status.js";

export default async function binding(o: { check?: string }): Promise<number> {
  if (o.check) {
    loadBindingFile(o.check); // a BindingError is a usage error: one line, exit 2
    console.log(`${o.check}: valid binding`);
    return EXIT.conformant;
  }
  console.log(JSON.stringify(bindingToJson(), null, 2));
  return EXIT.conformant;
}
